# coshare-oracle: dom0's full-content duplicate counter (libxenforeignmemory),
# and the census logic's tests.  Included after coshare-ctl's fragment (it
# reuses its domain list).
find_library(XENFOREIGNMEMORY_LIBRARY xenforeignmemory REQUIRED)
set(ORACLE_DIR ${ROOT}/hyp-iface/tools/coshare-oracle)
add_library(coshare_oracle_lib STATIC ${ORACLE_DIR}/content_census.cc)
target_include_directories(coshare_oracle_lib PUBLIC ${ORACLE_DIR})
target_compile_features(coshare_oracle_lib PUBLIC cxx_std_20)
target_link_libraries(coshare_oracle_lib PUBLIC nlohmann_json::nlohmann_json)

add_executable(coshare-oracle
  ${ORACLE_DIR}/main.cc
  ${ORACLE_DIR}/guest_memory.c
  ${CTL_DIR}/xenctrl_domains.c)
target_include_directories(coshare-oracle PRIVATE ${CTL_DIR} ${XENCALL_INCLUDE_DIR})
target_link_libraries(coshare-oracle coshare_oracle_lib CLI11::CLI11
  ${XENFOREIGNMEMORY_LIBRARY} ${XENCTRL_LIBRARY})
if(NOT COSHARE_SANITIZE)
  target_link_options(coshare-oracle PRIVATE -static-libstdc++ -static-libgcc)
endif()

if(TARGET GTest::gtest_main)
  add_executable(coshare_oracle_tests ${ORACLE_DIR}/content_census_test.cc)
  target_link_libraries(coshare_oracle_tests coshare_oracle_lib GTest::gtest_main)
  gtest_discover_tests(coshare_oracle_tests TEST_PREFIX "oracle.")
endif()

# coshare-fpcompare: the fingerprint comparison tool, its library and tests.
# Included from userspace-test/CMakeLists.txt (after GTest is found) and, for
# dom0, from vm/tools.cmake (no tests); uses ROOT and the flags there.
# cs_hash.c is compiled in, as C, so the tool's default zero hash is the
# project's own hash of a zero page.
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)

set(FPCOMPARE_DIR ${ROOT}/hyp-iface/tools/fpcompare)

add_library(coshare_fpcompare_lib STATIC
  ${FPCOMPARE_DIR}/fingerprints.cc
  ${ROOT}/hyp-iface/engine/cs_hash.c)
set_source_files_properties(${ROOT}/hyp-iface/engine/cs_hash.c
  PROPERTIES LANGUAGE C)
target_include_directories(coshare_fpcompare_lib
  PUBLIC ${FPCOMPARE_DIR} ${ROOT}/hyp-iface/include/public
  PRIVATE ${ROOT}/hyp-iface/engine)
target_compile_features(coshare_fpcompare_lib PUBLIC cxx_std_20)
target_link_libraries(coshare_fpcompare_lib PUBLIC nlohmann_json::nlohmann_json)

add_executable(coshare-fpcompare ${FPCOMPARE_DIR}/main.cc)
target_link_libraries(coshare-fpcompare coshare_fpcompare_lib CLI11::CLI11)
if(NOT COSHARE_SANITIZE)
  target_link_options(coshare-fpcompare PRIVATE -static-libstdc++ -static-libgcc)
endif()
if(NOT TARGET GTest::gtest_main)
  return()
endif()
include(GoogleTest)

# The tests also run the built tool, to check its exit codes and output.
add_executable(coshare_fpcompare_tests ${FPCOMPARE_DIR}/fpcompare_test.cc)
target_include_directories(coshare_fpcompare_tests PRIVATE
  ${ROOT}/userspace-test/testing
  ${ROOT}/hyp-iface/engine)
target_compile_definitions(coshare_fpcompare_tests PRIVATE
  FPCOMPARE_BIN="$<TARGET_FILE:coshare-fpcompare>")
add_dependencies(coshare_fpcompare_tests coshare-fpcompare)
target_link_libraries(coshare_fpcompare_tests coshare_fpcompare_lib
  GTest::gtest_main)
gtest_discover_tests(coshare_fpcompare_tests TEST_PREFIX "fpcompare."
                     DISCOVERY_TIMEOUT 60)

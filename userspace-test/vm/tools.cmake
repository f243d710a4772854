# The programs the nested-VM tests run: coshare-probe in the guests (static,
# for their busybox initramfs), coshare-ctl, coshare-oracle,
# coshare-stockshare, coshare-fpcompare and coshare-foreign-access in dom0.
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
add_executable(coshare-probe ${CMAKE_CURRENT_LIST_DIR}/coshare_probe.cc
                             ${CMAKE_CURRENT_LIST_DIR}/hostile_memory.cc
                             ${CMAKE_CURRENT_LIST_DIR}/max_pages_attack.cc
                             ${CMAKE_CURRENT_LIST_DIR}/stock_at_limit.cc
                             ${CMAKE_CURRENT_LIST_DIR}/writers.cc)
target_include_directories(coshare-probe PRIVATE ${ROOT}/hyp-iface/include/public
                           ${ROOT}/guest-driver/probe)
target_link_libraries(coshare-probe CLI11::CLI11 nlohmann_json::nlohmann_json)
target_link_options(coshare-probe PRIVATE -static)
if(COSHARE_VM_TOOLS_ONLY)
  include(${ROOT}/hyp-iface/tools/coshare-ctl/CMakeLists.fragment.cmake)
  include(${ROOT}/hyp-iface/tools/coshare-oracle/CMakeLists.fragment.cmake)
  include(${ROOT}/hyp-iface/tools/coshare-stockshare/CMakeLists.fragment.cmake)
  include(${ROOT}/hyp-iface/tools/fpcompare/CMakeLists.fragment.cmake)
  find_library(XENGNTTAB_LIBRARY xengnttab REQUIRED)
  add_executable(coshare-foreign-access ${CMAKE_CURRENT_LIST_DIR}/foreign_access.cc)
  target_compile_features(coshare-foreign-access PRIVATE cxx_std_20)
  target_link_libraries(coshare-foreign-access CLI11::CLI11 nlohmann_json::nlohmann_json
    ${XENGNTTAB_LIBRARY} ${XENFOREIGNMEMORY_LIBRARY})
  target_link_options(coshare-foreign-access PRIVATE -static-libstdc++ -static-libgcc)
endif()

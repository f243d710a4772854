# coshare-ctl: dom0's control tool, its command library and tests.
# Included from userspace-test/CMakeLists.txt after GTest is found; uses ROOT
# and the global flags there (-D__XEN_TOOLS__, warnings, sanitizers).
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
include(GoogleTest)

# libxen-dev (Debian): xencall for hypercalls, xenctrl to list domains,
# xenstore for their names.
find_path(XENCALL_INCLUDE_DIR xencall.h REQUIRED)
find_library(XENCALL_LIBRARY xencall REQUIRED)
find_library(XENCTRL_LIBRARY xenctrl REQUIRED)
find_library(XENSTORE_LIBRARY xenstore REQUIRED)

set(CTL_DIR ${ROOT}/hyp-iface/tools/coshare-ctl)

# The command logic: parsing, ops, formats, CSV, watch, plot.  No Xen
# library, so the tests link it with the simulator backend.
add_library(coshare_ctl_lib STATIC
  ${CTL_DIR}/cli.cc
  ${CTL_DIR}/csv.cc
  ${CTL_DIR}/errors.cc
  ${CTL_DIR}/fields.cc
  ${CTL_DIR}/format.cc
  ${CTL_DIR}/metrics.cc
  ${CTL_DIR}/ops.cc
  ${CTL_DIR}/plot.cc
  ${CTL_DIR}/watch.cc)
target_include_directories(coshare_ctl_lib PUBLIC
  ${CTL_DIR} ${ROOT}/hyp-iface/include/public)
target_compile_features(coshare_ctl_lib PUBLIC cxx_std_20)
target_link_libraries(coshare_ctl_lib PUBLIC
  nlohmann_json::nlohmann_json CLI11::CLI11)

# The tool.  libxencall1/libxenctrl4.17/libxenstore4 stay shared (same ABI in a bookworm
# dom0); libstdc++ and libgcc go in statically, so the rootfs needs no
# particular libstdc++.
add_executable(coshare-ctl
  ${CTL_DIR}/main.cc
  ${CTL_DIR}/backend_xencall.cc
  ${CTL_DIR}/xenctrl_domains.c
  ${CTL_DIR}/xenstore_names.c)
target_include_directories(coshare-ctl PRIVATE ${XENCALL_INCLUDE_DIR})
target_link_libraries(coshare-ctl coshare_ctl_lib
  ${XENCALL_LIBRARY} ${XENCTRL_LIBRARY} ${XENSTORE_LIBRARY})
if(NOT COSHARE_SANITIZE)
  target_link_options(coshare-ctl PRIVATE -static-libstdc++ -static-libgcc)
endif()

# The tests drive the engine through the simulator, and run the built tool.
# A tools-only build (no GoogleTest, no simulator) skips them.
if(TARGET GTest::gtest_main AND TARGET coshare_sim)
  add_executable(coshare_ctl_tests
    ${CTL_DIR}/ctl_test.cc
    ${CTL_DIR}/backend_sim.cc)
  target_compile_definitions(coshare_ctl_tests PRIVATE
    CTL_BIN="$<TARGET_FILE:coshare-ctl>")
  target_include_directories(coshare_ctl_tests PRIVATE ${ROOT}/userspace-test/testing)
  add_dependencies(coshare_ctl_tests coshare-ctl)
  target_link_libraries(coshare_ctl_tests coshare_ctl_lib coshare_sim
    GTest::gtest_main)
  gtest_discover_tests(coshare_ctl_tests TEST_PREFIX "ctl."
                       DISCOVERY_TIMEOUT 60)
endif()

# coshare-stockshare: Xen's stock dom0 sharing, page by page, timed (the
# baseline of the nested stock-vs-hint scenario).  Uses XENCTRL_LIBRARY from
# coshare-ctl's fragment and XENFOREIGNMEMORY_LIBRARY from coshare-oracle's.
set(STOCKSHARE_DIR ${ROOT}/hyp-iface/tools/coshare-stockshare)
add_executable(coshare-stockshare ${STOCKSHARE_DIR}/main.cc ${STOCKSHARE_DIR}/stock_share.c)
target_compile_features(coshare-stockshare PRIVATE cxx_std_20)
target_link_libraries(coshare-stockshare CLI11::CLI11
  nlohmann_json::nlohmann_json ${XENCTRL_LIBRARY} ${XENFOREIGNMEMORY_LIBRARY})
if(NOT COSHARE_SANITIZE)
  target_link_options(coshare-stockshare PRIVATE -static-libstdc++ -static-libgcc)
endif()

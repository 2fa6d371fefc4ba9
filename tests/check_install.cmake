# Installs the build into PREFIX and checks that everything a site needs is there.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
foreach(f bin/licd bin/licclient bin/licgen bin/licadmin lib/systemd/system/licd.service
          etc/licd/licd.conf share/doc/licd/OPERATIONS.md)
  if(NOT EXISTS "${PREFIX}/${f}")
    message(FATAL_ERROR "missing after install: ${f}")
  endif()
endforeach()
# No test hook in anything installed: the machine-facts hook (platform/test_hook.cpp) would let an
# end user fake the machine a stand-alone license or an activation is bound to.
file(GLOB installed_libs "${PREFIX}/lib/liblicdclient.so*" "${PREFIX}/lib/*/liblicdclient.so*")
if(NOT installed_libs)
  message(FATAL_ERROR "missing after install: liblicdclient.so")
endif()
foreach(f "${PREFIX}/bin/licd" "${PREFIX}/bin/licclient" "${PREFIX}/bin/licgen" ${installed_libs})
  file(STRINGS "${f}" hook REGEX "LICD_MACHINE_FACTS")
  if(hook)
    message(FATAL_ERROR "${f} contains the test hook (LICD_MACHINE_FACTS)")
  endif()
endforeach()
file(READ "${PREFIX}/lib/systemd/system/licd.service" unit)
foreach(needle "DynamicUser=yes" "StateDirectory=licd" "ProtectSystem=strict"
               "NoNewPrivileges=yes" "ExecStart=${PREFIX}/bin/licd --config=${PREFIX}/etc/licd/licd.conf")
  string(FIND "${unit}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "licd.service lacks: ${needle}")
  endif()
endforeach()
# The shipped config must be accepted by licd itself.
execute_process(COMMAND "${PREFIX}/bin/licd" "--config=${PREFIX}/etc/licd/licd.conf" --check-config
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "licd refused the shipped config: ${out} ${err}")
endif()
# And a mistyped key in a config is refused, not ignored.
file(WRITE "${PREFIX}/bad.conf" "lease-tll = 60\n")
execute_process(COMMAND "${PREFIX}/bin/licd" "--config=${PREFIX}/bad.conf" --check-config
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0)
  message(FATAL_ERROR "licd accepted a config with an unknown key")
endif()
message(STATUS "install layout ok")

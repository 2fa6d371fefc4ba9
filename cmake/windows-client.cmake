# The Windows client, cross-compiled with MinGW-w64 (cmake/mingw-w64.cmake,
# scripts/build-windows.sh): licd.dll (the C API, with its import library and .def),
# licclient.exe, the examples, and the test programs that run under Wine against a Linux licd.
# Included by the top-level CMakeLists.txt instead of the Linux build.

# OpenSSL built for MinGW by scripts/mingw-openssl.sh (static: linked into the DLL and the exe).
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Threads REQUIRED)
# Windows' DLLs that static OpenSSL needs (sockets, the certificate store, the random source).
set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 crypt32 bcrypt)

# The header-only libraries are Debian's (the same for any target), seen through a directory of
# their own so that no Linux system header is on the include path.
set(licd_header_only "${CMAKE_BINARY_DIR}/third_party/include")
file(MAKE_DIRECTORY "${licd_header_only}")
foreach(dir nlohmann CLI catch2)
  if(NOT EXISTS "${licd_header_only}/${dir}")
    file(CREATE_LINK "/usr/include/${dir}" "${licd_header_only}/${dir}" SYMBOLIC)
  endif()
endforeach()
foreach(target nlohmann_json::nlohmann_json CLI11::CLI11)
  add_library(${target} INTERFACE IMPORTED)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${licd_header_only}")
endforeach()

# Programs and licd.dll side by side, as they run (and as Wine finds the DLL).
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")

add_subdirectory(engine)
add_subdirectory(net)
add_subdirectory(storage)
add_subdirectory(platform)
add_subdirectory(client)
add_subdirectory(tools)

# The two examples, built for Windows against licd.dll (as a vendor would: the public headers and
# the import library).
add_executable(hold_seat_c examples/client/hold_seat.c)
target_link_libraries(hold_seat_c PRIVATE licd)
add_executable(hold_seat_cpp examples/client/hold_seat.cpp)
target_link_libraries(hold_seat_cpp PRIVATE licd)

# The client's unit tests, built for Windows (Catch2 2 is header-only) and run under Wine by
# tests/windows/run.py: the portable ones of the Linux suite, and the Windows platform's own.
add_executable(licd_windows_tests tests/main.cpp tests/client_config_test.cpp
               tests/engine_activation_test.cpp tests/engine_license_set_test.cpp
               tests/engine_license_test.cpp tests/engine_names_event_test.cpp
               tests/net_protocol_test.cpp tests/net_replies_test.cpp
               tests/windows_platform_test.cpp)
target_include_directories(licd_windows_tests PRIVATE tests "${licd_header_only}")
target_link_libraries(licd_windows_tests PRIVATE licd_client licd_platform licd_files
                      licd_warnings)

# The zip a vendor unpacks (scripts/build-windows.sh runs cpack): the DLL, its import library and
# .def, the headers, licclient.exe, the examples built and as source, README-windows.txt.
install(TARGETS licd licclient hold_seat_c hold_seat_cpp
        RUNTIME DESTINATION bin ARCHIVE DESTINATION lib)
install(FILES client/licd.def DESTINATION lib)
install(FILES include/licd/client.h include/licd/client.hpp DESTINATION include/licd)
install(FILES examples/client/hold_seat.c examples/client/hold_seat.cpp DESTINATION examples)
install(FILES packaging/windows/README-windows.txt LICENSE DESTINATION .)
set(CPACK_GENERATOR ZIP)
set(CPACK_PACKAGE_NAME licd-client)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_SYSTEM_NAME windows-x64)
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
include(CPack)

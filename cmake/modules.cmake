# tw_module(NAME DEPS ...): one static library per src/ folder, named tw_NAME,
# whose sources are the folder's .cc files. DEPS lists exactly the arrows of
# docs/architecture.md, so a dependency that points the wrong way fails to link.
function(tw_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cc")
  add_library(tw_${name} STATIC ${sources})
  target_include_directories(tw_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_compile_options(tw_${name} PRIVATE ${TW_WARNING_FLAGS})
  target_link_libraries(tw_${name} PUBLIC ${ARG_DEPS})
endfunction()

# tw_test(MODULE [POSTGRES] DEPS ...): one GoogleTest binary per tests/ folder.
# POSTGRES: its tests share the run's scratch PostgreSQL server (the ctest
# fixture postgres_cluster of tests/CMakeLists.txt) instead of each test
# process starting one.
function(tw_test name)
  cmake_parse_arguments(ARG "POSTGRES" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc")
  if(NOT sources)
    return()
  endif()
  add_executable(${name}_test ${sources})
  target_compile_options(${name}_test PRIVATE ${TW_WARNING_FLAGS})
  target_compile_definitions(${name}_test PRIVATE
    TW_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    TW_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared"
    TW_BINARY="${PROJECT_BINARY_DIR}/trailwatch")
  target_link_libraries(${name}_test PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  if(ARG_POSTGRES)
    gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 60 PROPERTIES
      FIXTURES_REQUIRED postgres_cluster
      ENVIRONMENT "TW_TEST_POSTGRES_DIR=${TW_TEST_POSTGRES_DIR}")
  else()
    gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

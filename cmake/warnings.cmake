# Our own code builds with warnings as errors; third-party headers are
# included as SYSTEM so their warnings never fail the build.
# -Wno-restrict: GCC 12 reports false positives inside libstdc++'s
# std::string at -O3 (GCC bug 105329), which -Werror would turn into failures.
set(TW_WARNING_FLAGS -Wall -Wextra -Werror -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND TW_WARNING_FLAGS -Wno-restrict)
endif()

# Our own code builds with warnings as errors; third-party headers are
# included as SYSTEM so their warnings never fail the build.
set(TW_WARNING_FLAGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

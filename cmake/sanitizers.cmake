# ASan+UBSan for the unit tests (TW_SANITIZE=ON). Every UB report aborts so a
# test cannot pass over it.
if(TW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzz builds instrument every library for coverage and memory errors, not
# just the fuzz targets, or libFuzzer would be blind inside the engine.
if(TW_BUILD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

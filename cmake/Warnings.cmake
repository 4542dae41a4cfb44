# g2d_warnings: the warning flags for git2dataset's own targets only. Third-party code (llama.cpp,
# GoogleTest) never links it. -Werror comes with G2D_WERROR (on in the dev and CI presets, off for
# packagers, so a newer compiler's new warning does not break their build).
add_library(g2d_warnings INTERFACE)
target_compile_options(g2d_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2
  $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wlogical-op>
  $<$<BOOL:${G2D_WERROR}>:-Werror>)

# Provides g2d_tree_sitter (alias g2d::tree_sitter): a static C library of the tree-sitter runtime
# and the grammars src/chunk parses with (c, cpp, python, javascript, typescript + tsx, go, rust,
# java), compiled from the pinned sources scripts/setup.sh unpacks into its cache.
#
# G2D_TREE_SITTER_DIR (-D or the environment, as scripts/env.sh exports it), else the cache found
# by scripts/env.sh's rule. The sources are compiled here, in each build, so they get its flags
# (sanitizers included); that takes about 20 s of CPU once per build folder. Third-party code:
# no g2d_warnings, and its own warnings are silenced (-w).
set(G2D_TREE_SITTER_DIR "$ENV{G2D_TREE_SITTER_DIR}" CACHE PATH
    "Folder of the pinned tree-sitter sources from scripts/setup.sh")

include(${CMAKE_CURRENT_LIST_DIR}/CacheDir.cmake)

# The cache setup.sh fills, by the rule of scripts/env.sh (the suffix hashes setup.sh's pins).
if(NOT G2D_TREE_SITTER_DIR)
  g2d_cache_dir(_g2d_cache)
  if(EXISTS "${_g2d_cache}/tree-sitter-a17b4ee2/.stamp")
    set(G2D_TREE_SITTER_DIR "${_g2d_cache}/tree-sitter-a17b4ee2" CACHE PATH "" FORCE)
  endif()
endif()

set(_g2d_ts "${G2D_TREE_SITTER_DIR}")
# Each grammar: the folder holding its parser.c (and scanner.c when it has one).
set(_g2d_ts_grammars c/src cpp/src python/src javascript/src typescript/typescript/src
    typescript/tsx/src go/src rust/src java/src)

if(NOT _g2d_ts OR NOT EXISTS "${_g2d_ts}/.stamp"
   OR NOT EXISTS "${_g2d_ts}/runtime/include/tree_sitter/api.h")
  message(FATAL_ERROR
    "tree-sitter sources not found. Run scripts/setup.sh (it fetches the pinned tree-sitter "
    "runtime and grammars into its cache), then `source scripts/env.sh` before configuring, or "
    "configure with -DG2D_TREE_SITTER_DIR=<cache>/tree-sitter-a17b4ee2.")
endif()

set(_g2d_ts_sources "${_g2d_ts}/runtime/src/lib.c")
foreach(_g2d_grammar IN LISTS _g2d_ts_grammars)
  set(_g2d_dir "${_g2d_ts}/${_g2d_grammar}")
  if(NOT EXISTS "${_g2d_dir}/parser.c")
    message(FATAL_ERROR "${_g2d_dir}/parser.c is missing: re-run scripts/setup.sh")
  endif()
  set(_g2d_files "${_g2d_dir}/parser.c")
  if(EXISTS "${_g2d_dir}/scanner.c")
    list(APPEND _g2d_files "${_g2d_dir}/scanner.c")
  endif()
  # Each grammar finds its own tree_sitter/parser.h (typescript's shared scanner.h needs the -I).
  set_source_files_properties(${_g2d_files} PROPERTIES INCLUDE_DIRECTORIES "${_g2d_dir}")
  list(APPEND _g2d_ts_sources ${_g2d_files})
endforeach()
set_source_files_properties("${_g2d_ts}/runtime/src/lib.c" PROPERTIES
  INCLUDE_DIRECTORIES "${_g2d_ts}/runtime/src")

add_library(g2d_tree_sitter STATIC ${_g2d_ts_sources})
set_target_properties(g2d_tree_sitter PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON
                                                 C_EXTENSIONS OFF POSITION_INDEPENDENT_CODE ON)
target_compile_definitions(g2d_tree_sitter PRIVATE _POSIX_C_SOURCE=200112L _DEFAULT_SOURCE)
target_compile_options(g2d_tree_sitter PRIVATE -w)
target_include_directories(g2d_tree_sitter SYSTEM PUBLIC "${_g2d_ts}/runtime/include")
add_library(g2d::tree_sitter ALIAS g2d_tree_sitter)
message(STATUS "tree-sitter: pinned sources in ${_g2d_ts}")

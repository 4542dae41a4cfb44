# Provides the imported target g2d::llama (libllama + ggml).
#
# 1. An installed llama.cpp is preferred: find_package(llama CONFIG) (Homebrew, newer Debian and
#    Ubuntu, or any prefix on CMAKE_PREFIX_PATH).
# 2. Otherwise the pinned build that scripts/setup.sh staged into its cache: G2D_LLAMA_PREFIX
#    (-D or the environment), else the cache found by scripts/env.sh's rule.
set(G2D_LLAMA_PREFIX "$ENV{G2D_LLAMA_PREFIX}" CACHE PATH "Prefix of the pinned llama.cpp build from scripts/setup.sh")
option(G2D_PREFER_SYSTEM_LLAMA "Use an installed llama.cpp when find_package finds one" ON)

if(G2D_PREFER_SYSTEM_LLAMA AND NOT G2D_LLAMA_PREFIX)
  find_package(llama CONFIG QUIET)
endif()

include(${CMAKE_CURRENT_LIST_DIR}/CacheDir.cmake)

# The cache setup.sh fills, by the rule of scripts/env.sh.
if(NOT llama_FOUND AND NOT G2D_LLAMA_PREFIX)
  g2d_cache_dir(_g2d_cache)
  if(EXISTS "${_g2d_cache}/llama.cpp-de3ff815/prefix/include/llama.h")
    set(G2D_LLAMA_PREFIX "${_g2d_cache}/llama.cpp-de3ff815/prefix" CACHE PATH "" FORCE)
  endif()
endif()

if(llama_FOUND)
  message(STATUS "llama.cpp: installed package ${llama_DIR}")
  add_library(g2d_llama INTERFACE)
  target_link_libraries(g2d_llama INTERFACE llama)
  # The installed package may not know where the model lives; setup.sh's default still applies.
  set(G2D_LLAMA_COMMIT "${LLAMA_BUILD_COMMIT}")
else()
  if(NOT G2D_LLAMA_PREFIX OR NOT EXISTS "${G2D_LLAMA_PREFIX}/include/llama.h")
    message(FATAL_ERROR
      "llama.cpp not found. Run scripts/setup.sh (it builds the pinned llama.cpp into its cache), "
      "then configure with -DG2D_LLAMA_PREFIX=<cache>/llama.cpp-de3ff815/prefix, or install "
      "llama.cpp (brew install llama.cpp) so that find_package(llama) finds it.")
  endif()
  message(STATUS "llama.cpp: pinned build in ${G2D_LLAMA_PREFIX}")
  add_library(g2d_llama INTERFACE)
  # Static archives in dependency order; ggml's CPU backend is registered statically.
  target_include_directories(g2d_llama SYSTEM INTERFACE "${G2D_LLAMA_PREFIX}/include")
  target_link_libraries(g2d_llama INTERFACE
    "${G2D_LLAMA_PREFIX}/lib/libllama.a"
    "${G2D_LLAMA_PREFIX}/lib/libggml.a"
    "${G2D_LLAMA_PREFIX}/lib/libggml-cpu.a"
    "${G2D_LLAMA_PREFIX}/lib/libggml-base.a"
    Threads::Threads ${CMAKE_DL_LIBS} m)
  set(G2D_LLAMA_COMMIT "unknown")
  if(EXISTS "${G2D_LLAMA_PREFIX}/.stamp")
    file(READ "${G2D_LLAMA_PREFIX}/.stamp" _g2d_stamp)
    string(SUBSTRING "${_g2d_stamp}" 0 8 G2D_LLAMA_COMMIT)
  endif()
endif()
add_library(g2d::llama ALIAS g2d_llama)

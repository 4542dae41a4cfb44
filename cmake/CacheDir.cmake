# g2d_cache_dir(<var>): the cache scripts/setup.sh fills, by the rule of scripts/env.sh
# (GIT2DATASET_CACHE, else $XDG_CACHE_HOME/git2dataset, else ~/.cache/git2dataset).
include_guard(GLOBAL)
function(g2d_cache_dir out)
  if(DEFINED ENV{GIT2DATASET_CACHE} AND NOT "$ENV{GIT2DATASET_CACHE}" STREQUAL "")
    set(dir "$ENV{GIT2DATASET_CACHE}")
  elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(dir "$ENV{XDG_CACHE_HOME}/git2dataset")
  else()
    set(dir "$ENV{HOME}/.cache/git2dataset")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

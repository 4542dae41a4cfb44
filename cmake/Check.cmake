# `check-format` and `check-tidy`: the version-14 clang tools over git2dataset's own sources.
# CI runs both (scripts/test.sh). `format` rewrites the files in place.
file(GLOB_RECURSE G2D_ALL_SOURCES CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/src/*.cpp" "${PROJECT_SOURCE_DIR}/src/*.hpp"
  "${PROJECT_SOURCE_DIR}/tests/*.cpp" "${PROJECT_SOURCE_DIR}/tests/*.hpp"
  "${PROJECT_SOURCE_DIR}/bench/*.cpp" "${PROJECT_SOURCE_DIR}/bench/*.hpp"
  "${PROJECT_SOURCE_DIR}/fuzz/*.cpp" "${PROJECT_SOURCE_DIR}/fuzz/*.hpp")
file(GLOB_RECURSE G2D_TIDY_SOURCES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/*.cpp")

find_program(G2D_CLANG_FORMAT NAMES clang-format-14 clang-format)
find_program(G2D_CLANG_TIDY NAMES clang-tidy-14 clang-tidy)

if(G2D_CLANG_FORMAT)
  add_custom_target(check-format
    COMMAND ${G2D_CLANG_FORMAT} --dry-run --Werror ${G2D_ALL_SOURCES}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMENT "clang-format --dry-run" VERBATIM)
  add_custom_target(format
    COMMAND ${G2D_CLANG_FORMAT} -i ${G2D_ALL_SOURCES}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} VERBATIM)
endif()
# check-tidy skips the files whose pass scripts/tidy.py remembers (a key over clang-tidy, its
# configuration, the compile command and the content of the file and of every header it includes).
find_package(Python3 COMPONENTS Interpreter)
if(G2D_CLANG_TIDY AND Python3_Interpreter_FOUND)
  add_custom_target(check-tidy
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/tidy.py
            --build ${PROJECT_BINARY_DIR} --source ${PROJECT_SOURCE_DIR} --jobs 2
            --clang-tidy ${G2D_CLANG_TIDY}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMENT "clang-tidy" VERBATIM)
endif()

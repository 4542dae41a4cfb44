// app/app.hpp — the program: parses the command line, sets up logging, runs one command, and
// turns errors into exit codes (0 ok, 1 failure, 2 usage or config error, 130 interrupted).
// UsageError and Fatal are caught here and nowhere else. Standard output is flushed and checked
// here for every command: when any of it could not be written (a full disk, say), the
// error is logged ("cannot write standard output: <reason>") and the exit code is 1 (or the
// command's own when it already failed).
#pragma once

namespace g2d::app {

int run(int argc, char** argv);

}  // namespace g2d::app

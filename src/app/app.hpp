// app/app.hpp — the program: parses the command line, sets up logging, runs one command, and
// turns errors into exit codes (0 ok, 1 failure, 2 usage or config error, 130 interrupted).
// UsageError and Fatal are caught here and nowhere else.
#pragma once

namespace g2d::app {

int run(int argc, char** argv);

}  // namespace g2d::app

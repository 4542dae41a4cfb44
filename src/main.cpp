#include "app/app.hpp"
#include "sys/signals.hpp"

int main(int argc, char** argv) {
  // Before any thread starts, so that every thread inherits the blocked interrupt signals and only
  // the signal thread takes them (sys/signals.hpp).
  g2d::sys::start_interrupt_thread();
  return g2d::app::run(argc, argv);
}

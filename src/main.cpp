#include "app/app.hpp"

int main(int argc, char** argv) {
  return g2d::app::run(argc, argv);
}

// Placeholder (issue 3, in progress).
#include "discover/discover.hpp"

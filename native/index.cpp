// index ops (issue 17): one line each over ATen.
#include "shim.h"

using dt::T;

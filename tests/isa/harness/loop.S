// Harness self-check: never finishes (the runner must stop it with --max-instructions).
#include "isa.h"
TEST_BEGIN
1: addi a0, a0, 1
  j 1b
  TEST_END

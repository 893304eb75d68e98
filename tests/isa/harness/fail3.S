// Harness self-check: passes tests 1 and 2, then deliberately fails test 3.
#include "isa.h"
TEST_BEGIN
  TEST_RR(1, add, 3, 1, 2)
  TEST_RR(2, sub, 1, 3, 2)
  TEST_RR(3, add, 5, 1, 2)       // wrong on purpose: 1 + 2 is not 5
  TEST_END

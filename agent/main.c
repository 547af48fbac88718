/* placeholder until the agent core lands (issue 2) */
#include "config.h"
int main(void) { return 0; }

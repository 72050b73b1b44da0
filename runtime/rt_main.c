/* runtime/rt_main.c — the main() of an executable netc builds: the model
 * netc names netrt_main_model, run by netrt_main() (rt_cli.c).
 *
 * main() has a file of its own so that a program embedding a compiled
 * model can link libnetrt, call netrt_main() from its own main() and not
 * pull this one in.
 */
#include <config.h>

#include "netrt.h"

int main(int argc, char **argv) {
  return netrt_main(netrt_main_model, argc, argv);
}

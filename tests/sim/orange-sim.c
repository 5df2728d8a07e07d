/* Placeholder until the simulator lands. */
#include <stdio.h>
int main(void)
{
	fputs("orange-sim: not implemented yet\n", stderr);
	return 69;
}

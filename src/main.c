#include <stdio.h>
int main(void)
{
    puts("gridloop " GRIDLOOP_VERSION);
    return 0;
}

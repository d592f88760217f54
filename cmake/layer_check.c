/*
 * layer_check: the whole program of a layer_<floor> executable (CMakeLists.txt). It calls
 * nothing; the floor's archive is linked whole, so the link itself is the check that the
 * floor needs nothing from the floors above it.
 */
int main(void)
{
    return 0;
}

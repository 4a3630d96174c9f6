// Shared by the self-test kernels (compiled, like rustgrad's, as one program: *.cuh, then *.cu).
typedef unsigned int u32;
typedef unsigned long long u64;

#define BLOCK 256  // the self-test launches blocks of this many threads

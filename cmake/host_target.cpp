// Prints the Halide target of this machine's CPU builds (codegen/target.hpp): CMake runs it
// at configure time and gives the result to every generator in place of "host".
#include <cstdio>

#include "codegen/target.hpp"

int main() {
    std::printf("%s", kiln::codegen::host_target().to_string().c_str());
    return 0;
}

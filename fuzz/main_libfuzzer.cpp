// One libFuzzer binary per target: LICD_FUZZ_TARGET names the function in fuzz/targets.hpp.
#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  licd::fuzz::LICD_FUZZ_TARGET(data, size);
  return 0;
}

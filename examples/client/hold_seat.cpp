// Holds a seat of a product for a few seconds through the licd C++ API.
// Usage: hold_seat_cpp PRODUCT [SERVER [SECONDS]]   (no SERVER: $LICD_SERVER, config, discovery)
#include <licd/client.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " PRODUCT [SERVER [SECONDS]]\n";
    return 2;
  }
  licd::license_options opts;
  if (argc > 2)
    opts.servers = {argv[2]};
  opts.timeout = std::chrono::seconds(5);
  opts.on_event = [](licd::license_event, const std::string& detail) {
    std::cerr << "license event: " << detail << '\n';
  };
  try {
    licd::product_license lic(argv[1], opts);
    std::cout << "holding " << lic.product() << " lease " << lic.lease() << " from "
              << lic.server() << " (" << lic.mode() << " mode)" << std::endl;
    std::this_thread::sleep_for(std::chrono::seconds(argc > 3 ? std::atoi(argv[3]) : 2));
    std::cout << "still held: " << (lic.held() ? "yes" : "no") << std::endl;
  } catch (const licd::license_error& e) { // the seat is released when `lic` goes out of scope
    std::cerr << "no license: " << e.code() << ": " << e.what() << '\n';
    return 1;
  }
  return 0;
}

/* Holds a seat of a product for a few seconds through the licd C API.
 * Usage: hold_seat_c PRODUCT [SERVER [SECONDS]]   (no SERVER: $LICD_SERVER, config, discovery) */
#include <licd/client.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void on_event(licd_event event, const char* detail, void* user_data) {
  (void)user_data;
  static const char* names[] = {"connection lost", "reconnected", "lost", "regained", "queued"};
  fprintf(stderr, "license event: %s (%s)\n", names[event], detail);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PRODUCT [SERVER [SECONDS]]\n", argv[0]);
    return 2;
  }
  licd_options* opts = licd_options_new();
  if (argc > 2 && licd_options_set(opts, "server", argv[2]) != LICD_OK) {
    fprintf(stderr, "bad server address %s\n", argv[2]);
    return 2;
  }
  licd_options_set(opts, "timeout_ms", "5000");
  licd_license* lic = NULL;
  char message[256];
  licd_status st = licd_acquire(argv[1], opts, on_event, NULL, &lic, message, sizeof message);
  licd_options_free(opts);
  if (st != LICD_OK) {
    fprintf(stderr, "no license: %s: %s\n", licd_status_name(st), message);
    return 1;
  }
  printf("holding %s lease %s from %s (%s mode)\n", argv[1], licd_lease(lic), licd_server(lic),
         licd_mode(lic));
  fflush(stdout);
  sleep(argc > 3 ? (unsigned)atoi(argv[3]) : 2);
  printf("still held: %s\n", licd_held(lic) ? "yes" : "no");
  licd_release(lic);
  return 0;
}

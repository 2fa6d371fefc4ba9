/* licd client library, C API: opaque handles, status codes and messages, for plugins and for
 * other languages through their FFI. This is the library's whole ABI (liblicdclient.so,
 * licd.dll): no C++ type crosses it, so any C or C++ compiler can link it. The C++ API
 * (licd/client.hpp) is a header-only layer over it. docs/CLIENT.md has a complete example.
 * Strings are UTF-8. */
#ifndef LICD_CLIENT_H
#define LICD_CLIENT_H

#include <stddef.h>

/* What the library exports: the functions of this header, nothing else. */
#ifndef LICD_API
#if defined(_WIN32) && defined(LICD_BUILDING_DLL)
#define LICD_API __declspec(dllexport)
#elif defined(_WIN32)
#define LICD_API __declspec(dllimport)
#else
#define LICD_API __attribute__((visibility("default")))
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum licd_status {
  LICD_OK = 0,
  LICD_NO_SEATS = 1,     /* every seat is in use (after waiting in the queue until the timeout) */
  LICD_UNREACHABLE = 2,  /* no server answered */
  LICD_TLS = 3,          /* the server's certificate did not pass */
  LICD_NOT_LICENSED = 4, /* stand-alone mode: no valid license on this machine */
  LICD_REFUSED = 5,      /* another refusal by the server (the message has its code) */
  LICD_BAD_ARGUMENT = 6, /* a bad option, product name or config file */
  LICD_ERROR = 7         /* anything else */
} licd_status;

typedef enum licd_event {
  LICD_EVENT_CONNECTION_LOST = 0, /* the seat is still held; renewals retry */
  LICD_EVENT_RECONNECTED = 1,
  LICD_EVENT_LOST = 2, /* the lease is gone: the application runs unlicensed */
  LICD_EVENT_REGAINED = 3,
  LICD_EVENT_QUEUED = 4 /* while acquiring: no seat now, waiting in the server's queue;
                           detail "position N of M" (called from the acquiring thread) */
} licd_event;

/* Called from the library's renewal thread (LICD_EVENT_QUEUED: from the thread in
 * licd_acquire). `detail` is valid during the call only. */
typedef void (*licd_event_fn)(licd_event event, const char* detail, void* user_data);

typedef struct licd_options licd_options;
typedef struct licd_license licd_license;

LICD_API licd_options* licd_options_new(void);
LICD_API void licd_options_free(licd_options* opts);
/* Keys: "server" (host:port, a comma-separated list tried in order), "discovery_port",
 * "computer", "user", "timeout_ms", "tls_ca_file", "tls_pin_sha256", "vendor_key" (repeatable),
 * "standalone_file", "system_config", "user_config". Returns LICD_BAD_ARGUMENT for an unknown
 * key or a bad value. */
LICD_API licd_status licd_options_set(licd_options* opts, const char* key, const char* value);

/* Acquires the product's license (in its configured mode). On LICD_OK, *out is the handle;
 * otherwise *out is NULL and `message` (if not NULL) receives "CODE: why", NUL-terminated and
 * cut to message_size, where CODE is one of docs/ERRORS.md's codes (NO_SEATS, UNREACHABLE,
 * TLS_FAILED, NOT_LICENSED, BAD_ARGUMENT, the server's refusals, FAILED for anything else).
 * `opts`, `on_event` and `user_data` may be NULL. */
LICD_API licd_status licd_acquire(const char* product, const licd_options* opts, licd_event_fn on_event,
                         void* user_data, licd_license** out, char* message,
                         size_t message_size);

LICD_API int licd_held(const licd_license* lic);            /* 1 while the seat is held */
LICD_API const char* licd_lease(const licd_license* lic);   /* valid until the next call on lic */
LICD_API const char* licd_mode(const licd_license* lic);    /* "network" or "standalone" */
LICD_API const char* licd_server(const licd_license* lic);  /* "host:port", "" when stand-alone */
/* Milliseconds until the lease lapses unless renewed (0 once it has); -1 when it never does
 * (stand-alone). */
LICD_API long long licd_expires_in_ms(const licd_license* lic);

/* Gives the seat back now and keeps the handle (licd_held is 0 afterwards); idempotent. */
LICD_API void licd_return(licd_license* lic);

/* Releases the seat and frees the handle. NULL is fine. */
LICD_API void licd_release(licd_license* lic);

LICD_API const char* licd_status_name(licd_status status);  /* "LICD_OK", ... */

#ifdef __cplusplus
}
#endif

#endif

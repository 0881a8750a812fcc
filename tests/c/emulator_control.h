/* The emulator's unsigned control endpoints from C (fault rules and request
 * counts, see README "Fault injection"), over a plain HTTP/1.1 socket so the
 * tests need nothing but libc; plus the client every such test starts from.
 * OAS_ENDPOINT must be http://127.0.0.1:PORT (tests/c/with_emulator.sh). */
#ifndef OAS_EMULATOR_CONTROL_H
#define OAS_EMULATOR_CONTROL_H

#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The emulator's port from OAS_ENDPOINT; exits when it is not set. */
static inline int emu_port(void) {
  const char *ep = getenv("OAS_ENDPOINT");
  const char *colon = ep ? strrchr(ep, ':') : NULL;
  if (!colon) {
    fprintf(stderr, "OAS_ENDPOINT is not set (run through tests/c/with_emulator.sh)\n");
    exit(2);
  }
  return atoi(colon + 1);
}

/* Sends one request; the reply (status line, headers, body) goes to `reply`
 * (NUL-terminated, truncated to `cap`). Returns the HTTP status or -1. Sent
 * with MSG_NOSIGNAL: the test's own socket must not raise the SIGPIPE that
 * test_sigpipe watches for. */
static inline int emu_request(const char *method, const char *path, const char *body, char *reply,
                       size_t cap) {
  struct sockaddr_in a;
  char req[8192];
  size_t len, off = 0, got = 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
  if (fd < 0) return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)emu_port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  len = (size_t)snprintf(req, sizeof req,
                         "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Type: application/json\r\nContent-Length: %u\r\n\r\n%s",
                         method, path, (unsigned)(body ? strlen(body) : 0), body ? body : "");
  while (off < len) {
    ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += (size_t)n;
  }
  for (;;) {
    ssize_t n = recv(fd, reply + got, cap - 1 - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
    if (got == cap - 1) break;
  }
  reply[got] = 0;
  close(fd);
  if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1) return -1;
  return status;
}

/* Replaces the emulator's fault rules with `rules_json` (a JSON array). */
static inline void emu_set_faults(const char *rules_json) {
  char reply[4096], body[4096];
  emu_request("DELETE", "/_emulator/faults", NULL, reply, sizeof reply);
  snprintf(body, sizeof body, "{\"rules\": %s}", rules_json);
  if (emu_request("POST", "/_emulator/faults", body, reply, sizeof reply) != 200) {
    fprintf(stderr, "installing faults failed: %s\n", reply);
    exit(2);
  }
}

/* Requests of `op` counted since start or the last emu_reset_stats(). */
static inline long emu_count(const char *op) {
  char reply[16384], key[128];
  const char *p;
  if (emu_request("GET", "/_emulator/stats", NULL, reply, sizeof reply) != 200) {
    fprintf(stderr, "reading stats failed: %s\n", reply);
    exit(2);
  }
  snprintf(key, sizeof key, "\"%s\":", op);
  p = strstr(reply, key);
  return p ? atol(p + strlen(key)) : 0;
}

static inline void emu_reset_stats(void) {
  char reply[1024];
  emu_request("DELETE", "/_emulator/stats", NULL, reply, sizeof reply);
}

/* A client for the emulator with short retry delays and the given workers,
 * part size and upload threshold (0 = the defaults). The one place these
 * tests fill oas_client_options. */
static inline const oas_client *emu_client(unsigned workers, uint64_t part_size, uint64_t threshold) {
  oas_client_options o;
  const oas_client *c = NULL;
  oas_client_options_init(&o, sizeof o);
  o.endpoint = getenv("OAS_ENDPOINT");
  o.access_id = getenv("OAS_ACCESS_ID");
  o.access_key = getenv("OAS_ACCESS_KEY");
  if (workers) o.workers = workers;
  if (part_size) o.part_size = part_size;
  if (threshold) o.upload_threshold = threshold;
  o.retry_max_attempts = 6;
  o.retry_base_delay_ms = 10;
  o.retry_max_delay_ms = 100;
  CHECK_OK(oas_client_new(&o, &c));
  if (!c) exit(2);
  return c;
}

#endif

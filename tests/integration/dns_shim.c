/* Test-only DNS seam for integration tests, loaded with LD_PRELOAD into
 * pushgwd (never linked into it): getaddrinfo() answers for the names listed
 * in the file named by PUSHGW_TEST_DNS_FILE, re-read on every call, one
 * "name answer" per line, where answer is
 *   again      EAI_AGAIN (a temporary failure, as from a DNS server timing out)
 *   nxdomain   EAI_NONAME
 *   an IP      that address
 * Every other name goes to the real getaddrinfo. As non-root a test can
 * neither edit /etc/hosts nor run a DNS server the daemon would ask. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*gai_fn)(const char*, const char*, const struct addrinfo*, struct addrinfo**);

static gai_fn real_gai(void) {
  return (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
}

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** res) {
  const char* path = getenv("PUSHGW_TEST_DNS_FILE");
  FILE* f = (path != NULL && node != NULL) ? fopen(path, "r") : NULL;
  if (f != NULL) {
    char name[256], answer[64];
    while (fscanf(f, "%255s %63s", name, answer) == 2) {
      if (strcmp(name, node) != 0) continue;
      fclose(f);
      if (strcmp(answer, "again") == 0) return EAI_AGAIN;
      if (strcmp(answer, "nxdomain") == 0) return EAI_NONAME;
      struct addrinfo h;
      memset(&h, 0, sizeof h);
      if (hints != NULL) h = *hints;
      h.ai_flags |= AI_NUMERICHOST;
      return real_gai()(answer, service, &h, res);
    }
    fclose(f);
  }
  return real_gai()(node, service, hints, res);
}

/* A guard-page allocator for the models.guard_pages test (docs/security.md, "Generated libraries
 * under attack"), loaded with LD_PRELOAD into dnncc-run. It replaces posix_memalign, which the
 * dnncc runtime uses for every instance's arena and input/output buffers (runtime.c,
 * allocZeroed): each such block gets pages of its own with an inaccessible page right after it
 * (DNNCC_GUARD=after: the block ends where the guard page starts) or right before it
 * (DNNCC_GUARD=before: the block starts where the guard page ends). A kernel or the runtime that
 * reads or writes past the end (or before the start) of the arena or a buffer then faults
 * (SIGSEGV) instead of touching other memory. Block sizes are multiples of 64 bytes
 * (DNNCC_ALIGNMENT), so the "after" guard catches accesses from the first byte past the rounded
 * size on.
 *
 * free() of a guarded block unmaps it; other pointers go to the C library's free. At exit the
 * number of guarded blocks is written to the file DNNCC_GUARD_REPORT names, which the test checks
 * to know that the allocator was in use. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { kMaxBlocks = 4096 };

struct Block {
  void* user;  /* what posix_memalign returned */
  void* base;  /* the mapping */
  size_t size; /* of the mapping */
};

static struct Block blocks[kMaxBlocks];
static size_t numBlocks, totalBlocks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void (*realFree)(void*);

static size_t pageSize(void) {
  return (size_t)sysconf(_SC_PAGESIZE);
}

int posix_memalign(void** out, size_t alignment, size_t bytes) {
  size_t page = pageSize();
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment % sizeof(void*) != 0)
    return EINVAL;
  if (alignment > page)
    return ENOMEM; /* not needed by the runtime */
  size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded == 0)
    rounded = alignment;
  size_t dataPages = (rounded + page - 1) / page;
  size_t mapped = (dataPages + 1) * page;
  char* base = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    return ENOMEM;
  const char* mode = getenv("DNNCC_GUARD");
  int before = mode && strcmp(mode, "before") == 0;
  char* user;
  if (before) {
    mprotect(base, page, PROT_NONE);
    user = base + page;
  } else {
    mprotect(base + dataPages * page, page, PROT_NONE);
    user = base + dataPages * page - rounded; /* rounded is a multiple of alignment */
  }
  pthread_mutex_lock(&lock);
  if (numBlocks == kMaxBlocks) {
    pthread_mutex_unlock(&lock);
    munmap(base, mapped);
    return ENOMEM;
  }
  blocks[numBlocks++] = (struct Block){user, base, mapped};
  ++totalBlocks;
  pthread_mutex_unlock(&lock);
  *out = user;
  return 0;
}

void free(void* p) {
  if (!p)
    return;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < numBlocks; ++i)
    if (blocks[i].user == p) {
      struct Block b = blocks[i];
      blocks[i] = blocks[--numBlocks];
      pthread_mutex_unlock(&lock);
      munmap(b.base, b.size);
      return;
    }
  pthread_mutex_unlock(&lock);
  if (!realFree)
    realFree = (void (*)(void*))dlsym(RTLD_NEXT, "free");
  realFree(p);
}

__attribute__((constructor)) static void init(void) {
  realFree = (void (*)(void*))dlsym(RTLD_NEXT, "free");
}

__attribute__((destructor)) static void report(void) {
  const char* path = getenv("DNNCC_GUARD_REPORT");
  FILE* f = path ? fopen(path, "w") : NULL;
  if (f) {
    fprintf(f, "%zu\n", totalBlocks);
    fclose(f);
  }
}

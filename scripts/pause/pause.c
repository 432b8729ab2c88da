/* The pod sandbox process of the test node (scripts/node.sh): holds the pod's namespaces, reaps
   children, exits on SIGTERM/SIGINT. Built static by scripts/build-image.sh into localhost/pause:local. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, stop); signal(SIGTERM, stop); signal(SIGCHLD, reap);
  for (;;) pause();
}

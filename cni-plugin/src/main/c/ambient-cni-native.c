/*
 * ambient-cni (native launcher): the CNI plugin binary as a few system calls. It hands the whole CNI call to the
 * node agent, which runs the same Java plugin code in its own long-lived JVM, so an ADD costs no JVM start.
 *
 * Request on the agent's Unix stream socket: "CNI1\0", then every CNI_* environment entry as "KEY=VALUE\0",
 * then an empty entry "\0", then stdin as is; the write side is shut down to end it.
 * Reply: the plugin's exit code in decimal, "\n", then exactly what the plugin prints on stdout.
 *
 * Agent socket: $AMBIENT_CNI_AGENT_SOCKET, else the first line of ambient-cni.socket beside this binary (written
 * by the installer), else /var/run/ambient-java/cni.sock. When the agent cannot be reached an ADD fails with CNI
 * error 11 (try again later), a DEL succeeds with a note on stderr (the agent cleans up when it is back), and
 * VERSION is answered here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_SOCKET "/var/run/ambient-java/cni.sock"
#define REPLY_TIMEOUT_SECONDS 60
#define MAX_MESSAGE_BYTES (4 * 1024 * 1024)

struct buffer {
    char *data;
    size_t length;
};

static int read_all(int fd, struct buffer *out) {
    size_t capacity = 16384;
    out->data = malloc(capacity);
    out->length = 0;
    if (out->data == NULL) {
        return -1;
    }
    for (;;) {
        if (out->length == capacity) {
            if (capacity >= MAX_MESSAGE_BYTES) {
                errno = EFBIG;
                return -1;
            }
            capacity *= 2;
            char *bigger = realloc(out->data, capacity);
            if (bigger == NULL) {
                return -1;
            }
            out->data = bigger;
        }
        ssize_t n = read(fd, out->data + out->length, capacity - out->length);
        if (n == 0) {
            return 0;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        out->length += (size_t) n;
    }
}

static int write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        data += n;
        length -= (size_t) n;
    }
    return 0;
}

/* Prints s as the inside of a JSON string. */
static void print_json_text(const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
}

static void print_error(int code, const char *msg, const char *path, const char *details) {
    printf("{\"cniVersion\":\"1.0.0\",\"code\":%d,\"msg\":\"", code);
    print_json_text(msg);
    print_json_text(path);
    printf("\",\"details\":\"");
    print_json_text(details);
    printf("\"}");
    fflush(stdout);
}

static void socket_path(char *out, size_t size) {
    const char *configured = getenv("AMBIENT_CNI_AGENT_SOCKET");
    if (configured != NULL && configured[0] != '\0') {
        snprintf(out, size, "%s", configured);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            strcpy(slash + 1, "ambient-cni.socket");
            FILE *file = fopen(exe, "re");
            if (file != NULL) {
                char line[PATH_MAX];
                if (fgets(line, sizeof(line), file) != NULL) {
                    line[strcspn(line, "\r\n")] = '\0';
                    if (line[0] != '\0') {
                        snprintf(out, size, "%s", line);
                        fclose(file);
                        return;
                    }
                }
                fclose(file);
            }
        }
    }
    snprintf(out, size, "%s", DEFAULT_SOCKET);
}

static int agent_unreachable(const char *command, const char *path, int error) {
    char details[512];
    snprintf(details, sizeof(details), "%s; is the ambient-java node agent running on this node?", strerror(error));
    if (command != NULL && strcmp(command, "DEL") == 0) {
        fprintf(stderr, "ambient-cni: DEL: node agent not reachable at %s (%s); the agent cleans up when it is back\n",
                path, details);
        return 0;
    }
    if (command != NULL && strcmp(command, "VERSION") == 0) {
        printf("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]}");
        return 0;
    }
    print_error(11, "node agent not reachable at ", path, details);
    return 1;
}

int main(void) {
    struct buffer input;
    if (read_all(STDIN_FILENO, &input) != 0) {
        print_error(5, "cannot read the network configuration from stdin", "", strerror(errno));
        return 1;
    }
    const char *command = getenv("CNI_COMMAND");
    char path[PATH_MAX];
    socket_path(path, sizeof(path));

    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(address.sun_path)) {
        return agent_unreachable(command, path, ENAMETOOLONG);
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &address, sizeof(address)) != 0) {
        return agent_unreachable(command, path, errno);
    }
    struct timeval timeout = {.tv_sec = REPLY_TIMEOUT_SECONDS};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

    int failed = write_all(fd, "CNI1", 5);
    for (char **entry = environ; !failed && *entry != NULL; entry++) {
        if (strncmp(*entry, "CNI_", 4) == 0) {
            failed = write_all(fd, *entry, strlen(*entry) + 1);
        }
    }
    if (!failed) {
        failed = write_all(fd, "", 1);
    }
    if (!failed) {
        failed = write_all(fd, input.data, input.length);
    }
    if (failed || shutdown(fd, SHUT_WR) != 0) {
        print_error(11, "lost the node agent at ", path, strerror(errno));
        return 1;
    }

    struct buffer reply;
    if (read_all(fd, &reply) != 0) {
        print_error(11, "no answer from the node agent at ", path, strerror(errno));
        return 1;
    }
    char *newline = memchr(reply.data, '\n', reply.length);
    if (newline == NULL) {
        print_error(11, "the node agent closed the connection without a reply: ", path,
                    "see the node agent's log");
        return 1;
    }
    *newline = '\0';
    int exit_code = atoi(reply.data);
    size_t offset = (size_t) (newline + 1 - reply.data);
    write_all(STDOUT_FILENO, reply.data + offset, reply.length - offset);
    return exit_code;
}

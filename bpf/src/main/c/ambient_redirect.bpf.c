// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Ambient redirection without netfilter.
 *
 * Pods are network namespaces enrolled by their netns cookie (enrolled_netns). ztunnel listens inside
 * every enrolled netns: 15001 outbound, 15006 plaintext inbound, 15008 HBONE, and marks its own sockets
 * with SO_MARK 0x539.
 *
 * Outbound: redirect_connect4 (and redirect_connect6 for IPv4 through dual-stack sockets) rewrites an
 * app's connect() (not to loopback, not to the pod's own address, not from a ztunnel socket) to the pod's
 * own address, port 15001 (127.0.0.1 if the pod has none), where ztunnel listens in the same netns, and
 * keeps the original destination in the client socket's storage.
 * When the connection is established, ambient_sockops publishes it under the client's (netns, ip, port); on the accepted side it moves it into
 * the accepted socket's storage, where original_dst answers getsockopt(SOL_IP, SO_ORIGINAL_DST);
 * app_peername4/6 let the app's getpeername() show the destination it asked for.
 *
 * Inbound: steer_inbound (sk_lookup, attached per netns) hands TCP connections arriving on a pod's
 * addresses (except port 15008, kubelet probes from 169.254.7.127 and connections from the pod itself) to
 * ztunnel's 15006 listener, which ambient_sockops records in inbound_listeners when ztunnel calls
 * listen(); with no listener the connection is refused. The pod is found by its address (pod_addresses).
 *
 * Delivery: ztunnel binds its socket to the app to the inbound client's address, as with nftables;
 * delivery_bind4/6 move that bind to the pod's address and sockops hands the client to the app's accepted
 * socket, whose accept() and getpeername() show it (app_peername4/6).
 *
 * Same-node pairs: ambient_sockops puts both ends of a connection between local addresses of an enrolled
 * netns into local_pairs; bypass_stack (sk_msg) moves their data straight to the peer's receive queue while
 * the peer keeps up, and through TCP (with its backpressure) when it does not: see peer_keeps_up.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define SOL_IP 0
#define SO_ORIGINAL_DST 80

#define ZTUNNEL_MARK 0x539
#define ZTUNNEL_MARK_MASK 0xfff
#ifndef OUTBOUND_PORT /* a test build of "the next version" moves it */
#define OUTBOUND_PORT 15001
#endif
#define INBOUND_PORT 15006
#define HBONE_PORT 15008
#define LOCALHOST 0x7f000001
#define PROBE_SOURCE 0xa9fe077f /* 169.254.7.127: kubelet probes, SNATed by the node */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* What the agent stores per enrolled netns. */
struct pod_settings {
    __u32 ip4;   /* the pod's address (network order), where ztunnel's 15001 is reached; 0: 127.0.0.1 */
    __u32 flags; /* reserved */
#ifdef TEST_CHANGED_MAP_LAYOUT /* a test build whose maps do not fit the pinned ones */
    __u64 added;
#endif
};

#define END_APP 1         /* the app's redirected socket */
#define END_ZTUNNEL 2     /* the socket ztunnel accepted */
#define END_DELIVERY 3    /* ztunnel's socket to the app, which it bound to the inbound client's address */
#define END_APP_INBOUND 4 /* the app's accepted end of a delivery: its peer shows as the client */

/* Per socket: the original destination (END_APP, END_ZTUNNEL) or the inbound client (the other two). */
struct original_dst {
    __u32 ip4;  /* network order */
    __u16 port; /* network order */
    __u16 end;
};

/* A connection end inside one netns: loopback addresses repeat in every pod. */
struct endpoint_key {
    __u64 netns;
    __u32 ip4;  /* network order */
    __u32 port; /* host order */
};

struct pair_key {
    __u64 netns;
    __u32 local_ip4;
    __u32 remote_ip4;
    __u32 local_port; /* host order */
    __u32 remote_port; /* host order */
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct pod_settings);
} enrolled_netns SEC(".maps");

/* Pod address → its netns cookie: sk_lookup programs cannot ask for the netns cookie. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, __u64);
} pod_addresses SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct original_dst);
} original_dst_storage SEC(".maps");

/* Client end → original destination, between the client's and the accepted socket's establishment. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct endpoint_key);
    __type(value, struct original_dst);
} pending_original_dst SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_SOCKHASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, __u64);
} inbound_listeners SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_SOCKHASH);
    __uint(max_entries, 65536);
    __type(key, struct pair_key);
    __type(value, __u64);
} local_pairs SEC(".maps");

/*
 * The same sockets' kernel addresses (struct tcp_sock), by the same keys: the sk_msg program reads its
 * peer's queue and sequence numbers through them (it may not take a reference from the sockhash). Only
 * read through fault-safe untrusted loads, and only to choose between the fast and the normal path;
 * removed when the socket closes.
 */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct pair_key);
    __type(value, __u64);
} pair_sockets SEC(".maps");

static __always_inline int is_enrolled(__u64 netns) {
    return bpf_map_lookup_elem(&enrolled_netns, &netns) != NULL;
}

static __always_inline int is_loopback(__u32 ip4_network_order) {
    return (bpf_ntohl(ip4_network_order) >> 24) == 127;
}

/* IPv4 arriving through an AF_INET6 dual-stack socket (Java, Netty and others use those): ::ffff:a.b.c.d. */
static __always_inline int is_v4_mapped(const __u32 ip6[4]) {
    return ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0xffff);
}

/*
 * Decides whether an app's connect to ip4:port (network order) goes to ztunnel and, if so, records the
 * original destination on the socket and returns the address to connect to instead (ztunnel's 15001 on
 * the pod's own address, so ztunnel sees the pod's address as the source, as with nftables); 0 otherwise.
 */
static __always_inline __u32 take_outbound(struct bpf_sock_addr *ctx, __u32 ip4, __u16 port) {
    if (ctx->type != SOCK_STREAM) {
        return 0;
    }
    __u64 netns = bpf_get_netns_cookie(ctx);
    struct pod_settings *pod = bpf_map_lookup_elem(&enrolled_netns, &netns);
    if (!pod) {
        return 0;
    }
    __u32 outbound_ip4 = pod->ip4 ? pod->ip4 : bpf_htonl(LOCALHOST);
    struct bpf_sock *sk = ctx->sk;
    if (!sk || (sk->mark & ZTUNNEL_MARK_MASK) == ZTUNNEL_MARK) {
        return 0;
    }
    if (is_loopback(ip4)) {
        return 0;
    }
    /* A pod talking to itself stays put, as with nftables redirection (which lets lo traffic pass). */
    __u64 *own = bpf_map_lookup_elem(&pod_addresses, &ip4);
    if (own && *own == netns) {
        return 0;
    }
    struct original_dst *dst =
            bpf_sk_storage_get(&original_dst_storage, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!dst) {
        return 0; /* without a place for the original destination ztunnel could not serve it */
    }
    dst->ip4 = ip4;
    dst->port = port;
    dst->end = END_APP;
    return outbound_ip4;
}

SEC("cgroup/connect4")
int redirect_connect4(struct bpf_sock_addr *ctx) {
    if (ctx->user_family != AF_INET) {
        return 1;
    }
    __u32 target = take_outbound(ctx, ctx->user_ip4, (__u16)ctx->user_port);
    if (target) {
        ctx->user_ip4 = target;
        ctx->user_port = bpf_htons(OUTBOUND_PORT);
    }
    return 1;
}

/* Dual-stack sockets connecting to IPv4 run this hook, not connect4. Native IPv6 is left alone. */
SEC("cgroup/connect6")
int redirect_connect6(struct bpf_sock_addr *ctx) {
    if (ctx->user_family != AF_INET6) {
        return 1;
    }
    __u32 ip6[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    if (!is_v4_mapped(ip6)) {
        return 1;
    }
    __u32 target = take_outbound(ctx, ip6[3], (__u16)ctx->user_port);
    if (target) {
        ctx->user_ip6[3] = target;
        ctx->user_port = bpf_htons(OUTBOUND_PORT);
    }
    return 1;
}

/*
 * ztunnel delivering inbound traffic binds its socket to the client's address (IP_TRANSPARENT), as it does
 * with nftables redirection. Without that mode's policy routing the app's replies to such an address would
 * leave the pod, so the bind is moved to the pod's own address and the client kept on the socket: sockops
 * hands it to the app's accepted socket, whose accept() and getpeername() then show the client.
 * Returns whether the bind is rewritten, to *pod_ip4 (network order; 0 when the pod has no address).
 */
static __always_inline int take_transparent_bind(struct bpf_sock_addr *ctx, __u32 ip4, __u32 *pod_ip4) {
    if (ctx->type != SOCK_STREAM || ip4 == 0 || is_loopback(ip4)) {
        return 0;
    }
    struct bpf_sock *sk = ctx->sk;
    if (!sk || (sk->mark & ZTUNNEL_MARK_MASK) != ZTUNNEL_MARK) {
        return 0;
    }
    __u64 netns = bpf_get_netns_cookie(ctx);
    struct pod_settings *pod = bpf_map_lookup_elem(&enrolled_netns, &netns);
    if (!pod) {
        return 0;
    }
    __u64 *own = bpf_map_lookup_elem(&pod_addresses, &ip4);
    if (own && *own == netns) {
        return 0;
    }
    struct original_dst *client =
            bpf_sk_storage_get(&original_dst_storage, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!client) {
        return 0;
    }
    client->ip4 = ip4;
    client->port = 0;
    client->end = END_DELIVERY;
    *pod_ip4 = pod->ip4;
    return 1;
}

SEC("cgroup/bind4")
int delivery_bind4(struct bpf_sock_addr *ctx) {
    __u32 pod_ip4;
    if (ctx->user_family == AF_INET && take_transparent_bind(ctx, ctx->user_ip4, &pod_ip4)) {
        ctx->user_ip4 = pod_ip4;
    }
    return 1;
}

SEC("cgroup/bind6")
int delivery_bind6(struct bpf_sock_addr *ctx) {
    if (ctx->user_family != AF_INET6) {
        return 1;
    }
    __u32 ip6[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    __u32 pod_ip4;
    if (is_v4_mapped(ip6) && take_transparent_bind(ctx, ip6[3], &pod_ip4)) {
        if (pod_ip4) {
            ctx->user_ip6[3] = pod_ip4;
        } else {
            ctx->user_ip6[2] = 0; /* :: */
            ctx->user_ip6[3] = 0;
        }
    }
    return 1;
}

static __always_inline struct pair_key pair_key_of(struct bpf_sock_ops *skops, __u64 netns) {
    struct pair_key key = {
            .netns = netns,
            .local_ip4 = skops->local_ip4,
            .remote_ip4 = skops->remote_ip4,
            .local_port = skops->local_port,
            .remote_port = bpf_ntohl(skops->remote_port),
    };
    return key;
}

static __always_inline void track_local_pair(struct bpf_sock_ops *skops, __u64 netns) {
    __u32 local = skops->local_ip4;
    __u32 remote = skops->remote_ip4;
    if (remote != local && !is_loopback(remote)) {
        return;
    }
    struct bpf_sock *sk = skops->sk;
    if (!sk) {
        return;
    }
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    if (!tp) {
        return;
    }
    struct pair_key key = pair_key_of(skops, netns);
    __u64 address = (__u64)tp;
    if (bpf_map_update_elem(&pair_sockets, &key, &address, BPF_ANY) != 0) {
        return;
    }
    if (bpf_sock_hash_update(skops, &local_pairs, &key, BPF_ANY) != 0) {
        bpf_map_delete_elem(&pair_sockets, &key);
        return;
    }
    bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
}

/* An IPv4 connection, on an AF_INET socket or an AF_INET6 dual-stack one (whose ip4 fields are then set). */
static __always_inline int is_ipv4_connection(struct bpf_sock_ops *skops) {
    if (skops->family == AF_INET) {
        return 1;
    }
    __u32 remote[4] = {skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2], skops->remote_ip6[3]};
    return skops->family == AF_INET6 && is_v4_mapped(remote);
}

SEC("sockops")
int ambient_sockops(struct bpf_sock_ops *skops) {
    if (skops->family != AF_INET && skops->family != AF_INET6) {
        return 1;
    }
    __u64 netns = bpf_get_netns_cookie(skops);
    if (skops->op == BPF_SOCK_OPS_STATE_CB) {
        /* Only paired sockets ask for state changes; the sockhash drops them by itself. */
        if (skops->args[1] == BPF_TCP_CLOSE) {
            struct pair_key key = pair_key_of(skops, netns);
            bpf_map_delete_elem(&pair_sockets, &key);
        }
        return 1;
    }
    if (!is_enrolled(netns)) {
        return 1;
    }
    struct bpf_sock *sk = skops->sk;
    if (!sk) {
        return 1;
    }
    switch (skops->op) {
    case BPF_SOCK_OPS_TCP_LISTEN_CB:
        /* Whoever listens on 15006 gets inbound, as with nftables' redirect (ztunnel binds it first). A
         * wildcard AF_INET6 listener is dual-stack and takes IPv4 connections too. */
        if (skops->local_port == INBOUND_PORT) {
            bpf_sock_hash_update(skops, &inbound_listeners, &netns, BPF_ANY);
        }
        break;
    case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB: {
        if (!is_ipv4_connection(skops)) {
            break;
        }
        struct original_dst *dst = bpf_sk_storage_get(&original_dst_storage, sk, 0, 0);
        if (dst) {
            struct endpoint_key key = {.netns = netns, .ip4 = skops->local_ip4, .port = skops->local_port};
            bpf_map_update_elem(&pending_original_dst, &key, dst, BPF_ANY);
        }
        track_local_pair(skops, netns);
        break;
    }
    case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB: {
        if (!is_ipv4_connection(skops)) {
            break;
        }
        struct endpoint_key key = {
                .netns = netns, .ip4 = skops->remote_ip4, .port = bpf_ntohl(skops->remote_port)};
        struct original_dst *pending = bpf_map_lookup_elem(&pending_original_dst, &key);
        if (pending) {
            struct original_dst *dst =
                    bpf_sk_storage_get(&original_dst_storage, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
            if (dst) {
                *dst = *pending;
                dst->end = pending->end == END_DELIVERY ? END_APP_INBOUND : END_ZTUNNEL;
            }
            bpf_map_delete_elem(&pending_original_dst, &key);
        }
        track_local_pair(skops, netns);
        break;
    }
    }
    return 1;
}

SEC("cgroup/getsockopt")
int original_dst(struct bpf_sockopt *ctx) {
    if (ctx->level != SOL_IP || ctx->optname != SO_ORIGINAL_DST) {
        return 1;
    }
    struct bpf_sock *sk = ctx->sk;
    if (!sk) {
        return 1;
    }
    /* Read before any branch: the verifier refuses arithmetic on the socket pointer that clang would emit. */
    __u32 local_ip4 = sk->src_ip4;
    __u32 local_port = sk->src_port;
    asm volatile("" : "+r"(local_ip4), "+r"(local_port));
    __u32 ip4;
    __u16 port;
    struct original_dst *dst = bpf_sk_storage_get(&original_dst_storage, sk, 0, 0);
    if (dst && (dst->end == END_APP || dst->end == END_ZTUNNEL)) {
        ip4 = dst->ip4;
        port = dst->port;
    } else if (ctx->retval != 0 && is_enrolled(bpf_get_netns_cookie(ctx))) {
        /* Not redirected by connect4 (sk_lookup steering keeps the destination as the local address, and
         * without netfilter the kernel has no answer): the original destination is where it arrived. */
        ip4 = local_ip4;
        port = bpf_htons((__u16)local_port);
    } else {
        return 1;
    }
    struct sockaddr_in *sin = ctx->optval;
    if ((void *)(sin + 1) > ctx->optval_end) {
        return 1;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = port;
    sin->sin_addr.s_addr = ip4;
    __builtin_memset(sin->__pad, 0, sizeof(sin->__pad));
    ctx->optlen = sizeof(*sin);
    ctx->retval = 0;
    return 1;
}

/* The app sees the peer it asked for, not ztunnel's 127.0.0.1:15001. */
SEC("cgroup/getpeername4")
int app_peername4(struct bpf_sock_addr *ctx) {
    struct bpf_sock *sk = ctx->sk;
    if (!sk) {
        return 1;
    }
    struct original_dst *dst = bpf_sk_storage_get(&original_dst_storage, sk, 0, 0);
    if (dst && dst->end == END_APP) {
        ctx->user_ip4 = dst->ip4;
        ctx->user_port = dst->port;
    } else if (dst && dst->end == END_APP_INBOUND) {
        ctx->user_ip4 = dst->ip4; /* the port stays ztunnel's, as with a transparent socket */
    }
    return 1;
}

SEC("cgroup/getpeername6")
int app_peername6(struct bpf_sock_addr *ctx) {
    struct bpf_sock *sk = ctx->sk;
    if (!sk) {
        return 1;
    }
    struct original_dst *dst = bpf_sk_storage_get(&original_dst_storage, sk, 0, 0);
    if (dst && (dst->end == END_APP || dst->end == END_APP_INBOUND)) {
        ctx->user_ip6[0] = 0;
        ctx->user_ip6[1] = 0;
        ctx->user_ip6[2] = bpf_htonl(0xffff);
        ctx->user_ip6[3] = dst->ip4;
        if (dst->end == END_APP) {
            ctx->user_port = dst->port;
        }
    }
    return 1;
}

SEC("sk_lookup")
int steer_inbound(struct bpf_sk_lookup *ctx) {
    if (ctx->family != AF_INET || ctx->protocol != IPPROTO_TCP || ctx->local_port == HBONE_PORT) {
        return SK_PASS;
    }
    __u32 pod_ip4 = ctx->local_ip4;
    __u64 *netns = bpf_map_lookup_elem(&pod_addresses, &pod_ip4);
    if (!netns) {
        return SK_PASS;
    }
    __u64 pod = *netns;
    /* From the pod itself (ztunnel delivering to the app, or the app calling itself): left alone. Local
     * traffic reports the destination's interface as ingress, so the source address is what tells. */
    __u32 remote_ip4 = ctx->remote_ip4;
    if (is_loopback(remote_ip4) || remote_ip4 == bpf_htonl(PROBE_SOURCE)) {
        return SK_PASS;
    }
    __u64 *remote_pod = bpf_map_lookup_elem(&pod_addresses, &remote_ip4);
    if (remote_pod && *remote_pod == pod) {
        return SK_PASS;
    }
    struct bpf_sock *listener = bpf_map_lookup_elem(&inbound_listeners, &pod);
    if (!listener) {
        /* Fail closed like nftables redirection to a port nobody listens on: refused, never past ztunnel. */
        return SK_DROP;
    }
    bpf_sk_assign(ctx, listener, 0);
    bpf_sk_release(listener);
    return SK_PASS;
}

/*
 * The fast-path queue may grow to the peer's receive buffer, and at least to this: a 128 KiB buffer (the
 * default before autotuning, which only TCP traffic drives) sends a fast writer back to TCP so often that
 * bulk transfers ran at a third of plain loopback TCP; 4 MiB (the kernel's default send buffer ceiling) kept
 * them at par or better in side-by-side runs.
 */
#define FAST_PATH_QUEUE_FLOOR (4 << 20)

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* sk_user_data carries flag bits below the psock pointer (SK_USER_DATA_NOCOPY, _BPF, _PSOCK). */
#define SK_USER_DATA_FLAGS 7UL

/*
 * Whether this message may skip the stack to the peer's receive queue. Redirecting to the peer's ingress
 * has no backpressure of its own (the kernel queues on the peer whatever comes and the sender stays
 * writable), so the fast path is taken only while
 * - the peer's fast-path queue (its psock's msg_tot_len) stays within its receive buffer (at least
 *   FAST_PATH_QUEUE_FLOOR) with this message added: past that the bytes go through TCP, whose windows and
 *   send buffer make a fast writer wait for a slow reader as they always do; and
 * - every byte this socket sent through TCP has been read by the peer (our write_seq is its copied_seq):
 *   the peer reads its fast-path queue before its TCP receive queue, so bytes redirected while TCP bytes
 *   are unread would overtake them.
 * Together: the stream order holds and at most that bound (plus one message) waits per socket on the fast
 * path, on top of what TCP itself holds.
 */
static __always_inline int peer_keeps_up(struct sk_msg_md *msg, struct pair_key *peer) {
    __u64 *address = bpf_map_lookup_elem(&pair_sockets, peer);
    if (!address) {
        return 0;
    }
    struct bpf_sock *self = msg->sk;
    if (!self) {
        return 0;
    }
    struct tcp_sock *sender = bpf_skc_to_tcp_sock(self);
    if (!sender) {
        return 0;
    }
    struct tcp_sock *receiver = bpf_rdonly_cast((void *)*address, bpf_core_type_id_kernel(struct tcp_sock));
    if (sender->write_seq != receiver->copied_seq) {
        return 0;
    }
    unsigned long user_data = (unsigned long)receiver->inet_conn.icsk_inet.sk.sk_user_data;
    user_data &= ~SK_USER_DATA_FLAGS;
    if (!user_data) {
        return 0;
    }
    struct sk_psock *psock = bpf_rdonly_cast((void *)user_data, bpf_core_type_id_kernel(struct sk_psock));
    if (!bpf_core_field_exists(psock->msg_tot_len)) {
        return 0; /* a kernel whose psock does not count its queue: no fast path, TCP as usual */
    }
    __u64 queued = psock->msg_tot_len;
    __s64 bound = receiver->inet_conn.icsk_inet.sk.sk_rcvbuf;
    if (bound < FAST_PATH_QUEUE_FLOOR) {
        bound = FAST_PATH_QUEUE_FLOOR;
    }
    return (__s64)(queued + msg->size) <= bound;
}

SEC("sk_msg")
int bypass_stack(struct sk_msg_md *msg) {
    struct pair_key peer = {
            .netns = bpf_get_netns_cookie(msg),
            .local_ip4 = msg->remote_ip4,
            .remote_ip4 = msg->local_ip4,
            .local_port = bpf_ntohl(msg->remote_port),
            .remote_port = msg->local_port,
    };
    /* Without a peer in the map (or while it lags) the data takes the normal path. */
    if (peer_keeps_up(msg, &peer)) {
        bpf_msg_redirect_hash(msg, &local_pairs, &peer, BPF_F_INGRESS);
    }
    return SK_PASS;
}

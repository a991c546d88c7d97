package io.ambientjava.hbone;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Works around a Netty 4.2 epoll defect that breaks half-closed TCP connections.
 *
 * <p>When a channel asks for no events at all, Netty's epoll registration removes the socket from the epoll set
 * ({@code EPOLL_CTL_DEL}) but keeps believing it is there, so the next interest change ({@code EPOLL_CTL_MOD})
 * fails with ENOENT and Netty closes the channel. A socket reaches "no events" right after its peer's FIN
 * (read-hang-up handled, input shut down, nothing to write): the next write that has to wait for buffer space,
 * or the next read request, then kills a half-closed tunnel.
 *
 * <p>This handler hands out registrations that, once a socket is in the epoll set, keep it there with an
 * edge-triggered empty interest mask instead (only hang-up and error, each reported once), so later changes
 * are plain modifications.
 */
final class EpollKeepRegisteredIoHandler implements IoHandler {

    private final IoHandler delegate;

    private EpollKeepRegisteredIoHandler(IoHandler delegate) {
        this.delegate = delegate;
    }

    static IoHandlerFactory newFactory() {
        IoHandlerFactory epoll = EpollIoHandler.newFactory();
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(io.netty.util.concurrent.ThreadAwareExecutor executor) {
                return new EpollKeepRegisteredIoHandler(epoll.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return epoll.isChangingThreadSupported();
            }
        };
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return new KeepRegistered(delegate.register(handle));
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    /** Replaces "no events" by "edge-triggered, no events" once the socket has been added. */
    private static final class KeepRegistered implements IoRegistration {
        private final IoRegistration delegate;
        private volatile boolean added;

        KeepRegistered(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            if (added && ops instanceof EpollIoOps epoll && epoll.value() == EpollIoOps.NONE.value()) {
                delegate.submit(EpollIoOps.EPOLLET);
                return 0;
            }
            long submitted = delegate.submit(ops);
            if (submitted > 0) {
                added = true;
            }
            return submitted;
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            return delegate.cancel();
        }
    }
}

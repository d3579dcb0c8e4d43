//! Batched datagram I/O for the RADIUS threads. On Linux one `recvmmsg`
//! takes every queued request (up to the batch size) and one `sendmmsg`
//! sends a batch of replies; elsewhere it falls back to one call per
//! datagram. The socket must have a read timeout so loops can notice
//! shutdown: a timeout comes back as `Ok(0)`.

use std::net::{SocketAddr, UdpSocket};

use super::codec::MAX_PACKET;

/// Receive buffers for up to `n` datagrams.
pub struct Receiver {
    bufs: Vec<[u8; MAX_PACKET + 1]>,
    got: Vec<(usize, SocketAddr)>,
    #[cfg(target_os = "linux")]
    headers: nix::sys::socket::MultiHeaders<nix::sys::socket::SockaddrStorage>,
}

impl Receiver {
    pub fn new(n: usize) -> Self {
        Receiver {
            bufs: vec![[0u8; MAX_PACKET + 1]; n.max(1)],
            got: Vec::with_capacity(n),
            #[cfg(target_os = "linux")]
            headers: nix::sys::socket::MultiHeaders::preallocate(n.max(1), None),
        }
    }

    /// Wait for at least one datagram and take what else is queued.
    /// `Ok(0)` when the read timeout passed with nothing.
    #[cfg(target_os = "linux")]
    pub fn recv(&mut self, sock: &UdpSocket) -> std::io::Result<usize> {
        use nix::sys::socket::{MsgFlags, recvmmsg};
        use std::io::IoSliceMut;
        use std::os::fd::AsRawFd;
        self.got.clear();
        let mut iovs: Vec<[IoSliceMut<'_>; 1]> = self.bufs.iter_mut().map(|b| [IoSliceMut::new(&mut b[..])]).collect();
        match recvmmsg(sock.as_raw_fd(), &mut self.headers, iovs.iter_mut(), MsgFlags::MSG_WAITFORONE, None) {
            Ok(msgs) => {
                for m in msgs {
                    if let Some(src) = m.address.as_ref().and_then(to_std) {
                        self.got.push((m.bytes, src));
                    }
                }
                Ok(self.got.len())
            }
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn recv(&mut self, sock: &UdpSocket) -> std::io::Result<usize> {
        self.got.clear();
        match sock.recv_from(&mut self.bufs[0]) {
            Ok((n, src)) => {
                self.got.push((n, src));
                Ok(1)
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// The datagrams of the last `recv`.
    pub fn packets(&self) -> impl Iterator<Item = (&[u8], SocketAddr)> {
        self.got.iter().enumerate().map(|(i, (n, src))| (&self.bufs[i][..*n], *src))
    }
}

/// Sends batches of replies.
pub struct Sender {
    #[cfg(target_os = "linux")]
    headers: nix::sys::socket::MultiHeaders<nix::sys::socket::SockaddrStorage>,
    #[cfg(target_os = "linux")]
    capacity: usize,
}

impl Sender {
    pub fn new(n: usize) -> Self {
        Sender {
            #[cfg(target_os = "linux")]
            headers: nix::sys::socket::MultiHeaders::preallocate(n.max(1), None),
            #[cfg(target_os = "linux")]
            capacity: n.max(1),
        }
    }

    /// Send every reply; failures are logged (the client will retransmit).
    #[cfg(target_os = "linux")]
    pub fn send(&mut self, sock: &UdpSocket, replies: &[(Vec<u8>, SocketAddr)]) {
        use nix::sys::socket::{MsgFlags, SockaddrStorage, sendmmsg};
        use std::io::IoSlice;
        use std::os::fd::AsRawFd;
        for chunk in replies.chunks(self.capacity) {
            let slices: Vec<[IoSlice<'_>; 1]> = chunk.iter().map(|(b, _)| [IoSlice::new(b)]).collect();
            let addrs: Vec<Option<SockaddrStorage>> =
                chunk.iter().map(|(_, a)| Some(SockaddrStorage::from(*a))).collect();
            if let Err(e) = sendmmsg(sock.as_raw_fd(), &mut self.headers, &slices, &addrs, [], MsgFlags::empty()) {
                tracing::warn!(error = %e, replies = chunk.len(), "RADIUS replies not sent");
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn send(&mut self, sock: &UdpSocket, replies: &[(Vec<u8>, SocketAddr)]) {
        for (bytes, dst) in replies {
            if let Err(e) = sock.send_to(bytes, dst) {
                tracing::warn!(error = %e, %dst, "RADIUS reply not sent");
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn to_std(a: &nix::sys::socket::SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::from((v6.ip(), v6.port())))
}

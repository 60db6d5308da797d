// SPDX-License-Identifier: GPL-2.0

//! `sys_migsock(call, args)`: the multiplexed system call of thesis
//! appendix B.
//!
//! `args` points to an array of `unsigned long`, one per parameter of the
//! function `call` names.  The checks come in a fixed order so user space
//! can rely on the errno: an unknown `call` is `EINVAL` whatever `args` is;
//! then the call's arguments are copied in, and a bad `args` pointer is
//! `EFAULT`; then the call runs.

use kernel::{
    bindings,
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::ms_data;

/// Most arguments any call takes (`MSC_MAX_ARGS`).
const MAX_ARGS: usize = bindings::MSC_MAX_ARGS as usize;

/// A `sys_migsock()` call (`MSC_*` in `include/uapi/linux/migsock.h`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Call {
    Init,
    Listen,
    Accept,
    Connect,
    SendMsg,
    Send,
    RecvMsg,
    Recv,
    Shutdown,
    Close,
    SetSockOpt,
    GetSockOpt,
}

impl Call {
    /// Decodes `call`; `EINVAL` for a number no call has.
    fn from_raw(call: c_int) -> Result<Self> {
        let Ok(call) = u32::try_from(call) else {
            return Err(EINVAL);
        };
        Ok(match call {
            bindings::MSC_INIT => Self::Init,
            bindings::MSC_LISTEN => Self::Listen,
            bindings::MSC_ACCEPT => Self::Accept,
            bindings::MSC_CONNECT => Self::Connect,
            bindings::MSC_SENDMSG => Self::SendMsg,
            bindings::MSC_SEND => Self::Send,
            bindings::MSC_RECVMSG => Self::RecvMsg,
            bindings::MSC_RECV => Self::Recv,
            bindings::MSC_SHUTDOWN => Self::Shutdown,
            bindings::MSC_CLOSE => Self::Close,
            bindings::MSC_SETSOCKOPT => Self::SetSockOpt,
            bindings::MSC_GETSOCKOPT => Self::GetSockOpt,
            _ => return Err(EINVAL),
        })
    }

    /// How many `unsigned long`s the call reads from `args`.
    fn nr_args(self) -> usize {
        match self {
            Self::Init => 0,
            Self::Close => 1,
            Self::Shutdown => 2,
            Self::Listen | Self::Accept | Self::SendMsg | Self::RecvMsg => 3,
            Self::Send | Self::Recv => 4,
            Self::Connect | Self::SetSockOpt | Self::GetSockOpt => 5,
        }
    }
}

/// Copies the call's arguments in from user space.
fn read_args(call: Call, args: UserPtr) -> Result<[c_ulong; MAX_ARGS]> {
    let mut out = [0; MAX_ARGS];
    let n = call.nr_args();
    if n == 0 {
        return Ok(out);
    }
    let mut reader = UserSlice::new(args, n * size_of::<c_ulong>()).reader();
    for slot in out.iter_mut().take(n) {
        *slot = reader.read::<c_ulong>()?;
    }
    Ok(out)
}

/// Runs one `sys_migsock()` call.
pub(crate) fn dispatch(call: c_int, args: UserPtr) -> Result<c_long> {
    let call = Call::from_raw(call)?;
    let _args = read_args(call, args)?;
    match call {
        Call::Init => ms_data::register_current().map(|()| 0),
        // The socket calls arrive with the MTCP sockets; until then they
        // are refused rather than pretending to work.
        _ => Err(EOPNOTSUPP),
    }
}

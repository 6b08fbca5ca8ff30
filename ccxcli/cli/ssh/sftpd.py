"""The SFTP side of `ccx serve`: the lab's upload folder, confined and bounded.

- Confined: the client sees the upload folder as `/` (asyncssh's chroot); links cannot be made.
- Bounded: the folder holds at most `quota` bytes and `MAX_ENTRIES` files and folders; a write
  that would pass the quota is refused with SFTP's quota error, and a write that starts past
  the end of its file is refused (it would leave a hole: no sparse giants).
- Private like every file of the lab: files are 0600 and folders 0700, whatever the client asks.

Imported only by `ccx serve`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import asyncssh
from asyncssh import SFTPAttrs

DEFAULT_QUOTA = 64 * 1024 * 1024  # authorization codes and license files are a few KB each
MAX_ENTRIES = 1000
_MAX_DEPTH = 16


class UploadFolder:
    """What the upload folder holds now, against its bounds."""

    def __init__(self, root: Path, quota: int = DEFAULT_QUOTA, max_entries: int = MAX_ENTRIES) -> None:
        self.root, self.quota, self.max_entries = root, quota, max_entries

    def usage(self) -> tuple[int, int]:
        """(bytes in regular files, files and folders) under the root."""
        total = entries = 0
        stack = [(str(self.root), 0)]
        while stack:
            folder, depth = stack.pop()
            try:
                with os.scandir(folder) as it:
                    for e in it:
                        entries += 1
                        if e.is_dir(follow_symlinks=False) and depth < _MAX_DEPTH:
                            stack.append((e.path, depth + 1))
                        elif e.is_file(follow_symlinks=False):
                            total += e.stat(follow_symlinks=False).st_size
            except OSError:
                continue
        return total, entries

    def check_growth(self, growth: int) -> None:
        if growth <= 0:
            return
        used, _ = self.usage()
        if used + growth > self.quota:
            raise asyncssh.SFTPQuotaExceeded(
                f"Upload quota exceeded: the upload folder holds at most {_mib(self.quota)} "
                f"({_mib(used)} used); remove files first"
            )

    def check_new_entry(self) -> None:
        _, entries = self.usage()
        if entries >= self.max_entries:
            raise asyncssh.SFTPQuotaExceeded(
                f"Upload folder full: at most {self.max_entries} files and folders; remove some first"
            )


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n} bytes"


class Sftp(asyncssh.SFTPServer):
    """SFTP confined to the lab's upload folder, within its bounds."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], folder: UploadFolder) -> None:
        super().__init__(chan, chroot=str(folder.root).encode())
        self.folder = folder

    def _local(self, path: bytes) -> str:
        return os.fsdecode(self.map_path(path))

    def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> object:
        local = self._local(path)
        if pflags & asyncssh.FXF_CREAT and not os.path.lexists(local):
            self.folder.check_new_entry()
        return super().open(path, pflags, SFTPAttrs(permissions=0o600))

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        fileno = file_obj.fileno()  # type: ignore[attr-defined]
        size = os.fstat(fileno).st_size
        if getattr(file_obj, "mode", "").startswith("a"):
            offset = size  # append mode writes at the end, whatever the offset says
        if offset > size:
            raise asyncssh.SFTPFailure(
                f"Refused: writing at offset {offset} past the end of the file ({size} bytes) would leave a hole; "
                "upload files from their start"
            )
        self.folder.check_growth(offset + len(data) - size)
        return super().write(file_obj, offset, data)  # type: ignore[return-value]

    def _safe(self, attrs: SFTPAttrs, size: int, folder: bool) -> SFTPAttrs:
        """The attributes a client may set: times, owner-only permissions, a smaller size."""
        if attrs.size is not None and attrs.size > size:
            raise asyncssh.SFTPFailure("Refused: a file cannot be made larger than what was written to it")
        perms = None if attrs.permissions is None else attrs.permissions & (0o700 if folder else 0o600)
        return SFTPAttrs(size=attrs.size, permissions=perms, atime=attrs.atime, mtime=attrs.mtime)

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        st = os.stat(self._local(path))
        super().setstat(path, self._safe(attrs, st.st_size, stat.S_ISDIR(st.st_mode)))

    def lsetstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self.setstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        st = os.fstat(file_obj.fileno())  # type: ignore[attr-defined]
        super().fsetstat(file_obj, self._safe(attrs, st.st_size, False))

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        self.folder.check_new_entry()
        super().mkdir(path, SFTPAttrs(permissions=0o700))

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("Links cannot be made in the upload folder")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("Links cannot be made in the upload folder")

//go:build unix

package local

import (
	"os"
	"syscall"
)

// fileID returns the inode number of fi. Rename and link keep it, so it ties
// a metadata sidecar to one written version of an object's bytes.
func fileID(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

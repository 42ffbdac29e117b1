"""Sample scripts shipped with shotcraft (package data): `shotcraft demo` draws one."""

"""The multipart library's push parser, refusing a bare LF in a part's header lines.

SECURITY: the library refuses one only in a header line it has not seen the end of
yet, so whether a body is refused would depend on how it is cut into chunks (and a
client chooses that); here it is refused wherever it is. A module of its own, loaded
on the first multipart form (start-up), and never compiled: it subclasses the
library's class.
"""

from __future__ import annotations

import multipart  # type: ignore[import-untyped]


class PushParser(multipart.PushMultipartParser):  # type: ignore[misc]
    def _on_segment_headerline(self, line: bytes) -> None:
        if b"\n" in line:
            raise multipart.ParserError("Invalid line break in segment header")
        super()._on_segment_headerline(line)

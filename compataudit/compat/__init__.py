"""Typed, validated views of the matrices, and the queries checks ask of them.

One module per matrix file. Views are built once per :class:`Matrices` and
cached in ``matrices.views``. A field of the wrong type raises
:class:`~compataudit.errors.MatrixError` naming the file and the row.
"""

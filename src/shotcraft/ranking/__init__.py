"""Ranking: the pipeline stage after the engine and before the pick.

`metrics` scores a take from its decoded frames (technical, motion, continuity); `faces` is the
face model (dlib's detector, 5-point landmarks and 128-d ResNet embedding, from the optional
`identity` extra, loaded lazily); `identity` matches the faces of a take to the characters in
frame and scores them against the character bible's references; `mouth` checks a lip-sync
take: its length against its line's audio, and a mouth that moves while the line is spoken and
keeps still in the pauses (68-point landmarks of the face model).
"""

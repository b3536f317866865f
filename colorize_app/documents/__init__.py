"""What a user draws on a photo or a frame, as plain data with undo and no Qt: colour strokes
(:mod:`~colorize_app.documents.strokes`), swatch rectangles paired between two photos
(:mod:`~colorize_app.documents.swatches`) and a video's keyframes
(:mod:`~colorize_app.documents.video_keyframes`). Project files store them; sessions and
windows edit them.
"""

"""The Help menu's words: how each window is used, in a few lines a person reads once."""

from __future__ import annotations

#: project_method of a window -> (title, HTML body) of its "How to use this window".
WINDOW_HELP = {
    "scribble": (
        "Scribble colorization",
        "<ol>"
        "<li><b>Open</b> a gray or colour photo (Ctrl+O, or drop it on the window).</li>"
        "<li>Paint a few <b>strokes</b> with the Brush (B) in the colours things should have;"
        " each colour spreads to neighbouring pixels of similar brightness, stopping at"
        " edges. <b>Keep colour</b> (K) pins a colour photo's own colour; the <b>Eraser</b>"
        " (E) removes strokes; the <b>Eyedropper</b> (I) takes a colour from a stroke or"
        " from the result.</li>"
        "<li><b>Colorize</b> (Ctrl+R) at full size; <i>Live preview</i> shows a quick small"
        " one after each stroke.</li>"
        "<li><b>Start from automatic</b> lets the network colour everything first; your"
        " strokes then correct it, as far as <i>Stroke reach</i> says.</li>"
        "<li><b>Save result</b> (Ctrl+E); Save project (Ctrl+S) keeps the strokes.</li>"
        "</ol>"
        "<p>Wheel: zoom under the pointer. Right or middle button: pan. Ctrl+0: fit,"
        " Ctrl+1: 100%. Ctrl+Z / Ctrl+Shift+Z: undo / redo.</p>",
    ),
    "transfer": (
        "Colour transfer",
        "<ol>"
        "<li><b>Open the gray target</b> photo and a colour <b>reference</b> photo whose"
        " scene looks alike.</li>"
        "<li><b>Transfer</b> copies to each pixel the colour of the reference pixel whose"
        " brightness and texture match best.</li>"
        "<li>For more control, draw <b>swatch pairs</b>: a rectangle in the reference and"
        " the matching rectangle in the target; colours then come only from the"
        " swatches.</li>"
        "<li><b>Save result</b> (Ctrl+E).</li>"
        "</ol>",
    ),
    "cnn": (
        "Automatic colorization",
        "<ol>"
        "<li><b>Open</b> one or more gray photos.</li>"
        "<li><b>Colorize</b>: a neural network trained on colour photos chooses plausible"
        " colours. <i>Vividness</i> makes them bolder or calmer without running it"
        " again.</li>"
        "<li>Where a colour is wrong, <b>Refine with strokes</b> opens the photo in the"
        " scribble window with the automatic colours as the start.</li>"
        "<li><b>Save</b> the result (Ctrl+E) or all of them.</li>"
        "</ol>",
    ),
    "video": (
        "Video colorization",
        "<ol>"
        "<li><b>Open</b> a video or a folder of frames (Ctrl+O).</li>"
        "<li><b>Colorize and refine</b> (Ctrl+R): every frame is colorized by the network,"
        " then the colours are kept steady along the motion (the <i>Quality</i> preset:"
        " Balanced by default; Deep Video Prior trains a network per shot and is"
        " slower). The status line says what is being done and how long is left; Cancel"
        " (Esc) keeps finished work, and the next run resumes.</li>"
        "<li>Scrub or <b>Play</b> (Space) to look; <i>Show</i> switches between the steady"
        " and the per-frame colours.</li>"
        "<li>To say what colour something is, make a <b>keyframe</b>: scrub to a frame and"
        " <b>Edit this frame</b> (Ctrl+K) to paint it with the scribble tools, then <i>Use"
        " as keyframe</i>; or <b>Keyframe from image</b> for a colour photo of that frame."
        " The next run carries the keyframe's colours forward and back along the motion"
        " through its shot; elsewhere the automatic colours stay. Keyframes are marked"
        " under the frame slider.</li>"
        "<li><b>Export video</b> (Ctrl+E, mp4 with the original sound) or frames.</li>"
        "</ol>",
    ),
}

ABOUT = (
    "<p><b>Colorize studio</b>: colour for gray photos and videos.</p>"
    "<p>Four methods, each in its own window (Ctrl+M opens the main menu): scribbles"
    " (Levin, Lischinski and Weiss 2004), colour transfer (Welsh, Ashikhmin and Mueller"
    " 2002), automatic colour by a network (after Zhang, Isola and Efros 2016) and video"
    " with flicker removal. The same methods run from the command line: "
    "<code>colorize --help</code>.</p>"
    "<p>Work is saved as projects (.colorize) and kept safe by autosave: after a crash"
    " the window offers to restore it.</p>"
)

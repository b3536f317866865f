@echo off
rem Double-click to start Colorize Studio on Windows. The first start creates .venv next to
rem the project and installs it (a few minutes, needs Python 3.10+ and the internet);
rem later starts open the application at once, like `make run`.
setlocal
cd /d "%~dp0.."
if exist ".venv\Scripts\colorize-app.exe" goto run
where py >nul 2>nul && (set "PYTHON=py -3") || (set "PYTHON=python")
echo First start: setting up .venv (this takes a few minutes)...
%PYTHON% -m venv .venv || goto failed
".venv\Scripts\python.exe" -m pip install --upgrade pip || goto failed
".venv\Scripts\python.exe" -m pip install -e . || goto failed
:run
start "" ".venv\Scripts\colorize-app.exe" %*
exit /b 0
:failed
echo Setting up failed: Python 3.10 or newer is needed (https://www.python.org).
pause
exit /b 1

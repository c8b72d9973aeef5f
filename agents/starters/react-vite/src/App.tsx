export default function App() {
  return (
    <main className="app">
      <h1>App</h1>
      <p>Edit src/App.tsx to build the app.</p>
    </main>
  );
}
